/**
 * What a v6 change refused for a missing record waits for (`waitingFor`, docs/sync-v6.md,
 * "Waiting for a parent"), property-based and pure: for every table placed by another record
 * (a v6 parent, its legacy name, the record a file belongs to), a change whose record is not
 * held is refused `parent_not_found` naming exactly that record, and once that record is held
 * the same change is no longer refused for a missing record. Other refusals wait for nothing.
 */
import fc from 'fast-check';
import { decideV6Change, refKey, type V6Change, type V6Placement, type V6Ref } from '../../functions/domain/sync-v6/placement';
import { v6Table } from '../../functions/domain/sync-v6/registry';
import { configArb } from '../support/sync-arbitraries';

const idArb = fc.stringMatching(/^[A-Za-z0-9_]{1,12}$/);

/** A change of a table placed by another record, and the record it names. */
const placedChangeArb: fc.Arbitrary<{ change: V6Change; names: V6Ref }> = fc.oneof(
  fc.record({ table: fc.constantFrom('asset_log', 'asset_internal_location'), id: idArb, parentId: idArb }).map(({ table, id, parentId }) => ({
    change: { tableName: table, recordId: id, action: 'Update' as const, recordData: { id, asset_id: parentId } },
    names: { api: 'v6' as const, table: 'asset', id: parentId },
  })),
  fc.record({ id: idArb, parentId: idArb }).map(({ id, parentId }) => ({
    change: { tableName: 'rnr_form_line', recordId: id, action: 'Update' as const, recordData: { id, rnr_form_id: parentId } },
    names: { api: 'v6' as const, table: 'rnr_form', id: parentId },
  })),
  idArb.map((id) => ({
    change: { tableName: 'name_oms_fields', recordId: id, action: 'Update' as const, recordData: { id } },
    names: { api: 'legacy' as const, table: 'name', id },
  })),
  fc.record({ id: idArb, table: fc.constantFrom('Location', 'purchase_order', 'transact', 'asset', 'vaccination'), recordId: idArb }).map(({ id, table, recordId }) => ({
    change: { tableName: 'sync_file_reference', recordId: id, action: 'Update' as const, recordData: { id, table_name: table, record_id: recordId, file_name: 'f.pdf' } },
    names: { api: v6Table(table) ? ('v6' as const) : ('legacy' as const), table, id: recordId },
  })),
);

test('a change refused for a missing record waits for exactly that record, and is not refused for it once the record is held', () => {
  fc.assert(
    fc.property(configArb, placedChangeArb, fc.nat({ max: 20 }), (config, { change, names }, siteSlot) => {
      const sites = Object.keys(config.sites).map(Number);
      const siteId = sites[siteSlot % sites.length]!;
      const missing = decideV6Change(change, siteId, config, undefined, () => undefined);
      expect(missing).toMatchObject({ kind: 'refused', reason: 'parent_not_found', waitingFor: names });

      const storeId = Object.keys(config.stores)[0];
      const held: V6Placement = storeId ? { dataClass: 'store', flags: [], storeId } : { dataClass: 'central', flags: [] };
      const arrived = decideV6Change(change, siteId, config, undefined, (ref) => (refKey(ref) === refKey(names) ? held : undefined));
      if (arrived.kind === 'refused') {
        expect(arrived.reason).not.toBe('parent_not_found');
        expect(arrived.waitingFor).toBeUndefined();
      }
    }),
    { numRuns: 500 },
  );
});

test('other refusals wait for nothing', () => {
  fc.assert(
    fc.property(configArb, idArb, (config, id) => {
      const unknown = decideV6Change({ tableName: 'invoice', recordId: id, action: 'Update', recordData: { id } }, 2, config, undefined, () => undefined);
      expect(unknown).toMatchObject({ kind: 'refused', reason: 'unknown_table' });
      expect(unknown).not.toHaveProperty('waitingFor');
      const noParentField = decideV6Change({ tableName: 'asset_log', recordId: id, action: 'Update', recordData: { id } }, 2, config, undefined, () => undefined);
      expect(noParentField).toMatchObject({ kind: 'refused', reason: 'invalid_record' });
      expect(noParentField).not.toHaveProperty('waitingFor');
    }),
    { numRuns: 100 },
  );
});
