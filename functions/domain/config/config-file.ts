/** The configuration as a file: import as a sequence of ordinary commands, export without secrets. */
import type { ConfigFile } from '../../protocol/admin';
import type { SyncConfig } from './model';
import { applyCommand, type ConfigCommand, type OperationResult } from './operations';
import { allSites, allStores, centralSite, instanceType, namesVisibleIn } from './queries';
import { allUsers, defaultUserId } from '../users/users';

/**
 * The commands that build the file's configuration in an empty system, in dependency order.
 * `hashPassword` turns a plain password into the stored credential.
 */
export function commandsFromFile(file: ConfigFile, hashPassword: (password: string) => string): ConfigCommand[] {
  const commands: ConfigCommand[] = [];
  for (const site of file.sites) {
    const { password, ...rest } = site;
    commands.push({ type: 'createSite', site: rest });
    if (password !== undefined) commands.push({ type: 'setSiteCredential', siteId: site.siteId, credential: hashPassword(password) });
  }
  if (Object.keys(file.preferences).length > 0) commands.push({ type: 'setPreferences', changes: file.preferences });
  for (const { syncWith: _syncWith, ...store } of file.stores) commands.push({ type: 'createStore', store });
  for (const join of file.visibility) {
    // Store-to-store visibility is symmetric: listing both directions is allowed.
    commands.push({ type: 'addVisibility', ...join });
  }
  for (const store of file.stores) {
    for (const [siteId, syncWith] of Object.entries(store.syncWith)) commands.push({ type: 'setSyncWith', storeId: store.id, siteId: Number(siteId), syncWith });
  }
  // Users last: their stores exist by now.
  for (const { password, ...user } of file.users ?? []) {
    const credential = password === undefined ? undefined : hashPassword(password);
    commands.push({ type: 'createUser', user: { ...user, id: user.id ?? defaultUserId(user.name), ...(credential === undefined ? {} : { credential }) } });
  }
  return commands;
}

/** Applies commands in order, stopping at the first refusal (which names the command). */
export function applyCommands(config: SyncConfig, commands: readonly ConfigCommand[]): OperationResult {
  let current = config;
  for (const [index, command] of commands.entries()) {
    const result = applyCommand(current, command);
    if (!result.ok) return { ...result, message: `${command.type} (#${index + 1}): ${result.message}` };
    current = result.config;
  }
  return { ok: true, config: current };
}

/** Builds the whole file's configuration from an empty one; a repeated visibility is tolerated. */
export function configFromFile(empty: SyncConfig, file: ConfigFile, hashPassword: (password: string) => string): OperationResult {
  let current = empty;
  for (const [index, command] of commandsFromFile(file, hashPassword).entries()) {
    const result = applyCommand(current, command);
    if (!result.ok) {
      if (command.type === 'addVisibility' && result.code === 'already_visible') continue;
      return { ...result, message: `${command.type} (#${index + 1}): ${result.message}` };
    }
    current = result.config;
  }
  return { ok: true, config: current };
}

export function exportConfig(config: SyncConfig): ConfigFile {
  const central = centralSite(config);
  return {
    sites: allSites(config).map(({ siteId, name, code, kind }) => ({ siteId, name, code, kind })),
    stores: allStores(config).map((store) => {
      const syncWith: Record<string, 'activeCollector' | 'transfer'> = {};
      for (const site of allSites(config)) {
        const type = instanceType(config, store.id, site.siteId);
        if (type === 'collector' && site.siteId !== central?.siteId) syncWith[String(site.siteId)] = 'activeCollector';
        if (type === 'transfer' && site.siteId === central?.siteId) syncWith[String(site.siteId)] = 'transfer';
      }
      const { id, code, name, nameId, mode, activeSiteId, includeTransactionsInSync } = store;
      return { id, code, name, nameId, mode, activeSiteId, includeTransactionsInSync, syncWith };
    }),
    visibility: allStores(config).flatMap((store) => namesVisibleIn(config, store.id).map((nameId) => ({ storeId: store.id, nameId }))),
    preferences: {
      primarySiteId: config.preferences.primarySiteId,
      centralisedProcurement: config.preferences.centralisedProcurement,
      centralisedPayments: config.preferences.centralisedPayments,
    },
    // Without passwords, like sites.
    users: allUsers(config).map(({ credential: _credential, ...user }) => ({
      ...user,
      stores: user.stores.map((store) => ({ storeId: store.storeId, permissions: [...store.permissions] })),
    })),
  };
}
