/** Fresh tables holding the demo configuration (config/demo.json), for tests that drive the services directly. */
import { readFileSync } from 'node:fs';
import type { SyncConfig } from '../../functions/domain/config/model';
import { importConfigFile } from '../../functions/storage/config-import';
import { adaptersFor, createTestResources, type TestResources } from './stand-ins';
import { DEMO_CONFIG } from './config-of';

export async function withDemoConfig(): Promise<{ resources: TestResources; adapters: ReturnType<typeof adaptersFor>; config: SyncConfig }> {
  const resources = await createTestResources();
  const adapters = adaptersFor(resources);
  const imported = await importConfigFile(adapters.configStore, JSON.parse(readFileSync(DEMO_CONFIG, 'utf8')), 'test');
  if (!imported.ok) throw new Error(imported.message);
  return { resources, adapters, config: await adapters.loadConfig() };
}
