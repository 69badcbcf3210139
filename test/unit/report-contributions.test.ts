/** What one record version adds to the reports, and the deltas between two versions (pure). */
import fc from 'fast-check';
import { addsNothing, contributionOf, lineDeltas, stockDeltas, usageKey, usageKeyOf, type Contribution } from '../../functions/domain/reports/contributions';

const stockLine = (fields: Record<string, unknown>) => ({ tableName: 'item_line', action: 'update' as const, recordData: { ID: 'L', store_ID: 'S', item_ID: 'I', ...fields } });

test('a stock line: packs × pack size units (a pack size of 0 is 1), packs × cost price value, its location', () => {
  expect(contributionOf(stockLine({ quantity: 3, pack_size: 10, cost_price: 2.5, location_ID: 'LOC' }))).toEqual({ kind: 'stock', storeId: 'S', itemId: 'I', locationId: 'LOC', units: 30, value: 7.5 });
  expect(contributionOf(stockLine({ quantity: 3, pack_size: 0, cost_price: 0.1 }))).toMatchObject({ units: 3, value: 0.3, locationId: '' });
  expect(contributionOf({ ...stockLine({ quantity: 3 }), action: 'delete' })).toBeUndefined();
  expect(contributionOf(stockLine({ store_ID: '' }))).toBeUndefined();
});

test('usage: a customer invoice confirmed or finalised, in the month of its confirm date (else its entry date)', () => {
  const invoice = (fields: Record<string, unknown>) => usageKeyOf({ store_ID: 'S', type: 'ci', status: 'fn', confirm_date: '2026-10-14', entry_date: '2026-09-30', ...fields });
  expect(invoice({})).toBe(usageKey('S', '2026-10'));
  expect(invoice({ status: 'cn' })).toBe(usageKey('S', '2026-10'));
  expect(invoice({ status: 'FN', confirm_date: '0000-00-00' })).toBe(usageKey('S', '2026-09'));
  for (const fields of [{ status: 'nw' }, { status: 'sg' }, { type: 'si' }, { type: 'cc' }, { store_ID: '' }, { confirm_date: '0000-00-00', entry_date: '0000-00-00' }]) {
    expect({ fields, key: invoice(fields) }).toEqual({ fields, key: '' });
  }
  const line = (type: string) => contributionOf({ tableName: 'trans_line', action: 'update', recordData: { transaction_ID: 'T', item_ID: 'I', type, quantity: 2, pack_size: 24 } });
  expect(line('stock_out')).toEqual({ kind: 'line', headerId: 'T', itemId: 'I', units: 48 });
  expect([line('stock_in'), line('placeholder'), line('service')]).toEqual([undefined, undefined, undefined]);
});

test('an item merge names the item kept; any other item change adds nothing', () => {
  expect(contributionOf({ tableName: 'item', action: 'merge', recordData: { mergeIdToKeep: 'A', mergeIdToDelete: 'B' } })).toEqual({ kind: 'itemMerge', keepId: 'A', removeId: 'B' });
  expect(contributionOf({ tableName: 'item', action: 'update', recordData: { ID: 'A' } })).toBeUndefined();
});

const stockArb: fc.Arbitrary<Contribution | undefined> = fc.option(
  fc.record({
    kind: fc.constant('stock' as const),
    storeId: fc.constantFrom('S1', 'S2'),
    itemId: fc.constantFrom('I1', 'I2'),
    locationId: fc.constantFrom('', 'L'),
    units: fc.integer({ min: -50, max: 50 }),
    value: fc.integer({ min: -500, max: 500 }).map((cents) => cents / 100),
  }),
  { nil: undefined },
);
const lineArb: fc.Arbitrary<Contribution | undefined> = fc.option(
  fc.record({ kind: fc.constant('line' as const), headerId: fc.constantFrom('T1', 'T2'), itemId: fc.constantFrom('I1', 'I2'), units: fc.integer({ min: 0, max: 50 }) }),
  { nil: undefined },
);

test('the deltas of any sequence of versions sum to the last version alone', () => {
  fc.assert(
    fc.property(fc.array(stockArb, { maxLength: 8 }), fc.array(lineArb, { maxLength: 8 }), (stocks, lines) => {
      const sums = new Map<string, number>();
      const add = (key: string, amount: number) => sums.set(key, Math.round(((sums.get(key) ?? 0) + amount) * 1e6) / 1e6);
      let previous: Contribution | undefined;
      for (const next of stocks) {
        for (const delta of stockDeltas(previous, next)) {
          add(`u${delta.storeId}${delta.itemId}${delta.locationId}`, delta.units);
          add(`v${delta.storeId}${delta.itemId}${delta.locationId}`, delta.value);
        }
        previous = next;
      }
      let previousLine: Contribution | undefined;
      for (const next of lines) {
        for (const delta of lineDeltas(previousLine, next)) add(`h${delta.headerId}${delta.itemId}`, delta.units);
        previousLine = next;
      }
      const expected = new Map<string, number>();
      if (previous?.kind === 'stock') {
        expected.set(`u${previous.storeId}${previous.itemId}${previous.locationId}`, previous.units);
        expected.set(`v${previous.storeId}${previous.itemId}${previous.locationId}`, previous.value);
      }
      if (previousLine?.kind === 'line') expected.set(`h${previousLine.headerId}${previousLine.itemId}`, previousLine.units);
      const nonZero = (map: Map<string, number>) => new Map([...map].filter(([, amount]) => amount !== 0));
      expect(nonZero(sums)).toEqual(nonZero(expected));
    }),
  );
});

test('a contribution that adds nothing is as good as none: every next version has the same deltas over it as over nothing', () => {
  const headerArb: fc.Arbitrary<Contribution | undefined> = fc.option(
    fc.record({ kind: fc.constant('header' as const), usageKey: fc.constantFrom('', usageKey('S1', '2026-01')) }),
    { nil: undefined },
  );
  const mergeArb: fc.Arbitrary<Contribution | undefined> = fc.record({ kind: fc.constant('itemMerge' as const), keepId: fc.constant('I1'), removeId: fc.constant('I2') });
  const anyArb = fc.oneof(stockArb, lineArb, headerArb, mergeArb);
  fc.assert(
    fc.property(anyArb, anyArb, (first, next) => {
      if (!addsNothing(first)) return;
      expect(stockDeltas(first, next)).toEqual(stockDeltas(undefined, next));
      expect(lineDeltas(first, next)).toEqual(lineDeltas(undefined, next));
      expect(first?.kind === 'header' ? first.usageKey : '').toBe('');
    }),
  );
  expect(addsNothing({ kind: 'header', usageKey: '' })).toBe(true);
  expect(addsNothing({ kind: 'header', usageKey: usageKey('S', '2026-01') })).toBe(false);
  expect(addsNothing({ kind: 'stock', storeId: 'S', itemId: 'I', locationId: '', units: 0, value: 0 })).toBe(true);
  expect(addsNothing({ kind: 'stock', storeId: 'S', itemId: 'I', locationId: '', units: 0, value: 1 })).toBe(false);
  expect(addsNothing({ kind: 'line', headerId: 'T', itemId: 'I', units: 0 })).toBe(true);
  expect(addsNothing({ kind: 'line', headerId: 'T', itemId: 'I', units: 2 })).toBe(false);
  expect(addsNothing({ kind: 'itemMerge', keepId: 'A', removeId: 'B' })).toBe(false);
});
