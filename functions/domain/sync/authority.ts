/**
 * Who may edit what (sync-rules §3): a pushed record is accepted only from the one site with
 * authority over it. Pure.
 */
import type { SyncConfig } from '../config/model';
import { centralSite, getSite, getStore } from '../config/queries';
import type { Placement, Refusal } from './placement';

/** The site with authority over central and central store data. */
export function primarySiteId(config: SyncConfig): number | undefined {
  return config.preferences.primarySiteId ?? centralSite(config)?.siteId;
}

/** Undefined when `siteId` may edit the record; otherwise why not. */
export function refuseUnlessAuthorised(placement: Placement, config: SyncConfig, siteId: number): Refusal | undefined {
  const siteName = getSite(config, siteId)?.name ?? `site ${siteId}`;
  switch (placement.dataClass) {
    case 'central':
    case 'centralStore':
      if (primarySiteId(config) === siteId) return undefined;
      return {
        reason: 'not_primary_site',
        message: `Only the primary site edits ${placement.dataClass === 'central' ? 'central' : 'central store'} data; ${siteName} is not the primary.`,
      };
    case 'store': {
      if (placement.storeId === undefined) return refuseUnlessOwner(placement, config, siteId, siteName);
      const store = getStore(config, placement.storeId);
      if (!store) return { reason: 'unknown_store', message: `Store ${placement.storeId} is not configured on the central server.` };
      if (store.activeSiteId !== siteId) {
        return {
          reason: 'store_not_active_on_site',
          message: `Store ${store.code} (${store.id}) is active on site ${store.activeSiteId}, not on ${siteName}; only its active site edits its data.`,
        };
      }
      if (placement.flags.includes('dispensaryTransactional') && store.mode === 'dispensary' && !store.includeTransactionsInSync) {
        return {
          reason: 'transactions_not_synced',
          message: `Dispensary ${store.code} has "include transactions in sync" off: its transactions stay on its site.`,
        };
      }
      return undefined;
    }
    case 'patient': {
      const home = placement.storeId === undefined ? undefined : getStore(config, placement.storeId);
      if (!home) return { reason: 'unknown_store', message: `The home store ${placement.storeId ?? '(none)'} is not configured on the central server.` };
      if (home.activeSiteId === siteId) return undefined;
      return {
        reason: 'not_home_site',
        message: `Its home store ${home.code} is active on site ${home.activeSiteId}; only that site edits it.`,
      };
    }
    case 'message': {
      const sender = placement.senderStoreId === undefined ? undefined : getStore(config, placement.senderStoreId);
      if (!sender) return { reason: 'unknown_store', message: `Its sending store ${placement.senderStoreId ?? '(fromStoreID is empty)'} is not configured on the central server.` };
      if (sender.activeSiteId === siteId) return undefined;
      return {
        reason: 'not_message_sender',
        message: `It was sent by store ${sender.code} (${sender.id}), active on site ${sender.activeSiteId}; only that site writes it.`,
      };
    }
    case 'local':
      return { reason: 'local_data', message: 'Local data is never synced.' };
    case 'sync':
      return { reason: 'sync_data', message: 'Sync settings are edited on the central server only.' };
  }
}

/**
 * Store data no store owns (users a site made, kept centrally): anyone may create it, then only
 * the site that first pushed it (and the primary, which edits central data) may change it.
 */
function refuseUnlessOwner(placement: Placement, config: SyncConfig, siteId: number, siteName: string): Refusal | undefined {
  if (placement.ownerSiteId === undefined || placement.ownerSiteId === siteId || primarySiteId(config) === siteId) return undefined;
  return {
    reason: 'not_record_owner',
    message: `It was first pushed by site ${placement.ownerSiteId}; only that site (or the primary) changes it, not ${siteName}.`,
  };
}
