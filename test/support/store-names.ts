/**
 * Imports, through the admin API, one `name` record per configured store, as an operator moving
 * names from an existing mSupply server would. A site no longer needs this to see its stores:
 * the configuration writes every store's name with its store record (docs/sync.md, "Store
 * records"). An imported store name keeps its own fields but the ones the configuration owns
 * (id, name, code, type store), and makes the server send the store record again.
 */
import { legacyRecord } from './legacy-records';
import type { TestSyncServer } from './sync-server';

/** Imports the name record of every configured store; resolves once they are routed (in the change log). */
export async function importStoreNames(server: TestSyncServer): Promise<string[]> {
  const listed = await server.admin('GET', '/stores');
  if (listed.status !== 200) throw new Error(`GET /stores answered ${listed.status}`);
  const stores = listed.body.stores as Array<{ id: string; code: string; name: string; nameId: string }>;
  // Fixture 1 is a facility name; a store's own name is of type store.
  const records = stores.map((store) => legacyRecord('name', store.nameId, { name: store.name, code: store.code, type: 'store', supplying_store_id: '' }, 1));
  const imported = await server.admin('POST', '/records', { records });
  if (imported.status !== 200 || imported.body.accepted !== records.length) {
    throw new Error(`importing the stores' names: ${imported.status} ${JSON.stringify(imported.body)}`);
  }
  // What the central server imported is its (site 1's) work until routed.
  for (let attempt = 0; await server.adapters.progress.workInProgress(1); attempt++) {
    if (attempt >= 600) throw new Error("the stores' names were not routed within 60 s");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return stores.map((store) => store.nameId);
}
