/**
 * Deciding a pushed batch, record by record: accepted (with its placement), refused (with the
 * reason) or ignored. Pure: the caller supplies the records the registry needs through `lookup`
 * and the central copies already held through `stored`.
 */
import type { SyncConfig } from '../config/model';
import type { LinkRef, Lookup } from '../data-classes';
import type { StoredRecord, SyncRecord } from '../ports';
import { refuseUnlessAuthorised } from './authority';
import { placeRecord, type Placement, type Refusal } from './placement';

export type RecordDecision =
  | { readonly kind: 'accepted'; readonly placement: Placement }
  | { readonly kind: 'ignored'; readonly message: string }
  | ({ readonly kind: 'refused' } & Refusal)
  | { readonly kind: 'needs'; readonly refs: readonly LinkRef[] };

/**
 * Decides one record pushed by `siteId`. A change to a record the central server already holds
 * must also be allowed for its stored placement, so a site can never take over another store's
 * record by pushing it with its own store: the rightful owner's copy wins.
 */
export function decideRecord(
  record: SyncRecord,
  siteId: number,
  config: SyncConfig,
  lookup: Lookup,
  stored: StoredRecord | undefined,
  final: boolean,
): RecordDecision {
  const placed = placeRecord(record, { centralisedProcurement: config.preferences.centralisedProcurement }, lookup, final);
  if (placed.kind !== 'placed') return placed;
  const refusal = refuseUnlessAuthorised(placed.placement, config, siteId);
  if (refusal) return { kind: 'refused', ...refusal };
  if (stored) {
    const previousOwner = refuseUnlessAuthorised(stored.placement, config, siteId);
    if (previousOwner) {
      return { kind: 'refused', reason: previousOwner.reason, message: `The central copy belongs elsewhere: ${previousOwner.message}` };
    }
  }
  return { kind: 'accepted', placement: placed.placement };
}
