/** One report transaction's writes: amounts several records add to one figure are summed exactly. */
import { ReportWrites } from '../../functions/storage/report-writes';

const figure = { pk: 'value', sk: 'S1' };

function addedValues(writes: ReportWrites): unknown[] {
  const [item] = writes.items();
  return Object.values(item?.Update?.ExpressionAttributeValues ?? {});
}

test('amounts added to one figure by several records are summed to the figures\' 6 decimals', () => {
  // In binary, -4.5 + 65.25 + 0.9 is 61.650000000000006 and 0.3 + 2.3 is 2.5999999999999996.
  const one = new ReportWrites('reports').add(figure, { value: -4.5 }).add(figure, { value: 65.25 }).add(figure, { value: 0.9 });
  expect(addedValues(one)).toContain(61.65);
  const merged = new ReportWrites('reports').add(figure, { value: 0.3 }).merge(new ReportWrites('reports').add(figure, { value: 2.3 }));
  expect(addedValues(merged)).toContain(2.6);
});
