/**
 * Re-initialising a site from the admin side (docs/operations.md, Re-initialise). The client
 * decides to initialise from its own local state only, never from the server's word
 * (/work/shared/spec/open-msupply-client.md): a site is re-initialised by resetting or
 * reinstalling it. What the server must do is let that fresh installation initialise as a new
 * site: forget the site's initialisation (site info says `new`), then release its hardware
 * binding (a reinstalled site may have a new hardware id), in that order, so an installation
 * initialising in between always keeps the initialisation it started. Its next `initialise`
 * then binds it and serves it everything it is entitled to from the central copy, as for any
 * new site. Audited.
 */
import type { AuditEntry } from '../domain/config/operations';
import type { InitialisationState } from '../domain/ports';

export interface ReinitialiseDeps {
  /** Deletes the site's initialisation state; answers the status it had. */
  readonly resetInitialisation: (siteId: number) => Promise<InitialisationState['status']>;
  /** Releases the site's hardware binding (a configuration change, audited on its own); answers the id it was bound to. */
  readonly releaseBinding: (siteId: number) => Promise<{ previousHardwareId: string }>;
  /** Records waiting for the site: delivered after its initialisation (a record received twice is stored once). */
  readonly queueLength: (siteId: number) => Promise<number>;
  readonly audit: (entry: AuditEntry, actor: string) => Promise<unknown>;
}

export interface ReinitialiseOutcome {
  readonly siteId: number;
  readonly previousInitialisationStatus: InitialisationState['status'];
  readonly previousHardwareId: string;
  readonly initialisationStatus: 'new';
  readonly recordsWaiting: number;
}

export async function reinitialiseSite(deps: ReinitialiseDeps, siteId: number, actor: string): Promise<ReinitialiseOutcome> {
  const previousInitialisationStatus = await deps.resetInitialisation(siteId);
  const { previousHardwareId } = await deps.releaseBinding(siteId);
  const recordsWaiting = await deps.queueLength(siteId);
  const outcome: ReinitialiseOutcome = { siteId, previousInitialisationStatus, previousHardwareId, initialisationStatus: 'new', recordsWaiting };
  await deps.audit({ action: 'site.reinitialise', target: `site/${siteId}`, details: { previousInitialisationStatus, previousHardwareId, recordsWaiting } }, actor);
  return outcome;
}
