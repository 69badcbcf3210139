/**
 * How much of the central log a `central_records` page reads: a site that holds every entry reads
 * each entry once over its pages (no entry decoded for one page and read again for the next), and
 * a site that skips most entries still fills a page in a few round trips.
 */
import type { CentralCopy, ChangeLog, ChangeLogEntry } from '../../functions/domain/ports';
import { centralRecordsFor, DEFAULT_CENTRAL_READ } from '../../functions/services/central-records';
import { demoConfig } from '../support/config-of';

const config = demoConfig();
/** remote-site-1 in the demo configuration: it holds every item, and no master list. */
const SITE_ID = 2;
/** The Open mSupply client's central page size (`sync/settings.rs`). */
const CLIENT_LIMIT = 500;

function countingLog(entries: readonly ChangeLogEntry[]) {
  const reads: number[] = [];
  const changeLog: ChangeLog = {
    append: async () => {},
    read: async (after, limit) => {
      const page = entries.filter((entry) => entry.cursor > after).slice(0, limit);
      reads.push(page.length);
      return { maxCursor: entries.length, entries: page };
    },
  };
  return { changeLog, reads };
}

/** Nothing held beyond the log: no list joins, no names for the page's last record. */
const emptyCopy = {
  get: async () => new Map(),
  byParent: async function* () {},
} as unknown as CentralCopy;

/** Pulls as the client does (cursor = last ID), answering the IDs received. */
async function pull(changeLog: ChangeLog): Promise<{ ids: number[]; requests: number }> {
  const ids: number[] = [];
  let cursor = 0;
  for (let requests = 1; ; requests++) {
    const { maxCursor, data } = await centralRecordsFor({ changeLog, centralCopy: emptyCopy }, config, SITE_ID, cursor, CLIENT_LIMIT, DEFAULT_CENTRAL_READ);
    ids.push(...data.map((record) => record.ID));
    cursor = data.at(-1)?.ID ?? cursor;
    if (data.length === 0 && cursor >= maxCursor) return { ids, requests };
    if (data.length === 0) cursor++;
  }
}

const item = (cursor: number): ChangeLogEntry => ({ cursor, tableName: 'item', recordId: `item-${cursor}`, action: 'update', recordData: { ID: `item-${cursor}`, code: `I${cursor}` } });
const unusedListLine = (cursor: number): ChangeLogEntry => ({
  cursor,
  tableName: 'list_master_line',
  recordId: `line-${cursor}`,
  action: 'update',
  recordData: { ID: `line-${cursor}`, item_master_ID: 'LIST_NO_STORE_USES', item_ID: 'item-1' },
});

test('a site holding every entry reads each log entry once, whatever the page size against the read size', async () => {
  const log = Array.from({ length: 2000 }, (_, i) => item(i + 1));
  const { changeLog, reads } = countingLog(log);
  const { ids, requests } = await pull(changeLog);
  expect(ids).toEqual(log.map((entry) => entry.cursor));
  expect(requests).toBe(5); // four full pages, then the empty one that ends the pull
  expect(reads.reduce((sum, read) => sum + read, 0)).toBe(2000);
});

test('a site skipping most entries fills its pages in a few reads each', async () => {
  // One entry in ten is an item (held); the rest are lines of a list none of the site's stores uses.
  const log = Array.from({ length: 6000 }, (_, i) => (i % 10 === 0 ? item(i + 1) : unusedListLine(i + 1)));
  const { changeLog, reads } = countingLog(log);
  const { ids, requests } = await pull(changeLog);
  expect(ids.filter((id) => log[id - 1]!.tableName === 'item')).toEqual(log.filter((entry) => entry.tableName === 'item').map((entry) => entry.cursor));
  // Reads of 1,000 whatever the page needs take 9 reads here: sizing them to the page costs no more.
  expect(requests).toBe(3);
  expect(reads.length).toBeLessThanOrEqual(9);
});
