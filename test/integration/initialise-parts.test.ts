/**
 * A long initialisation runs in parts, each a message of its own that resumes where the last one
 * stopped, so a site of any size fits a function's timeout. Parts queue exactly what one run does.
 */
import { initialisationSources, buildInitialQueue, type InitialisationStep } from '../../functions/services/initialise';
import { legacyRecord } from '../support/legacy-records';
import { startTestSyncServer, type TestSyncServer } from '../support/sync-server';

let server: TestSyncServer;

beforeAll(async () => {
  // Every part stops after one page: the most parts an initialisation can take.
  server = await startTestSyncServer({ initialisationReserveMs: Number.MAX_SAFE_INTEGER });
  const site1 = server.site('remote-site-1');
  await site1.sync();
  site1.changes([
    legacyRecord('transact', 'PARTS_TX_B', { store_ID: 'STORE_B', name_ID: 'SOME_CUSTOMER' }, 1),
    legacyRecord('trans_line', 'PARTS_TL_B', { transaction_ID: 'PARTS_TX_B' }),
    legacyRecord('transact', 'PARTS_TX_F', { store_ID: 'STORE_F', name_ID: 'SOME_CUSTOMER' }, 1),
  ]);
  await site1.sync();
  const imported = await server.admin('POST', '/records', { records: [legacyRecord('transact', 'PARTS_TX_A', { store_ID: 'STORE_A', name_ID: 'SOME_CUSTOMER' }, 1)] });
  expect(imported.body).toMatchObject({ accepted: 1 });
});

afterAll(async () => {
  await server?.stop();
});

test('resumed part by part, the initial queue holds what one uninterrupted run queues', async () => {
  const config = await server.adapters.configStore.load();
  const sources = initialisationSources(config, 2);
  expect(sources.length).toBeGreaterThanOrEqual(3);

  const oneRun = await buildInitialQueue(server.adapters, config, 2);
  let step: InitialisationStep = await buildInitialQueue(server.adapters, config, 2, { shouldStop: () => true });
  let parts = 1;
  while (!step.done) {
    step = await buildInitialQueue(server.adapters, config, 2, { resume: step.resume, shouldStop: () => true });
    parts++;
  }
  expect(parts).toBe(sources.length);
  expect(step).toEqual(oneRun);
});

test('a rebuilt site initialised in parts through the queue receives its whole backup', async () => {
  const rebuilt = server.site('remote-site-1', { hardwareId: 'hardware-remote-site-1' });
  await rebuilt.initialise();
  await rebuilt.waitUntilIdle();
  expect((await rebuilt.site()).initialisationStatus).toBe('completed');
  await rebuilt.pullQueue();
  for (const [table, id] of [
    ['transact', 'PARTS_TX_B'],
    ['trans_line', 'PARTS_TL_B'],
    ['transact', 'PARTS_TX_F'],
    ['transact', 'PARTS_TX_A'],
  ] as const) {
    expect(rebuilt.held(table, id)).toMatchObject({ ID: id });
  }
});
