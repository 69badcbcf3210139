/** Configurations built in memory from a configuration file's contents, for tests of the pure rules. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configFromFile } from '../../functions/domain/config/config-file';
import { emptyConfig } from '../../functions/domain/config';
import type { SyncConfig } from '../../functions/domain/config/model';
import { configFileSchema, type ConfigFileInput } from '../../functions/protocol/admin';

/** The demo configuration's file. */
export const DEMO_CONFIG = path.join(__dirname, '..', '..', 'config', 'demo.json');

/** As an import builds it; passwords kept plain (a cheap stand-in for scrypt: credentials are not the subject). */
export function configOf(input: ConfigFileInput): SyncConfig {
  const built = configFromFile(emptyConfig(), configFileSchema.parse(input), (password) => `plain:${password}`);
  if (!built.ok) throw new Error(built.message);
  return built.config;
}

/** The demo configuration (config/demo.json). */
export const demoConfig = (): SyncConfig => configOf(JSON.parse(readFileSync(DEMO_CONFIG, 'utf8')) as ConfigFileInput);
