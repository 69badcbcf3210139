/** The configuration as a file: import as a sequence of ordinary commands, export without secrets. */
import type { ConfigFile } from '../../protocol/admin';
import { MAX_SITE_ID, type Site, type Store, type SyncConfig } from './model';
import { invariantViolations } from './invariants';
import { applyCommand, newStore, type ConfigCommand, type OperationResult } from './operations';
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
  commands.push(...userCommandsFromFile(file, hashPassword));
  return commands;
}

function userCommandsFromFile(file: ConfigFile, hashPassword: (password: string) => string): ConfigCommand[] {
  return (file.users ?? []).map(({ password, ...user }) => {
    const credential = password === undefined ? undefined : hashPassword(password);
    return { type: 'createUser', user: { ...user, id: user.id ?? defaultUserId(user.name), ...(credential === undefined ? {} : { credential }) } };
  });
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

/**
 * Builds the whole file's configuration from an empty one; a repeated visibility is tolerated.
 * A consistent file is built in one pass (linear in its size); anything the pass does not accept
 * is built again command by command, which names the first command refused.
 */
export function configFromFile(empty: SyncConfig, file: ConfigFile, hashPassword: (password: string) => string): OperationResult {
  const isEmpty = Object.keys(empty.sites).length === 0 && Object.keys(empty.stores).length === 0 && Object.keys(empty.visibility).length === 0;
  if (isEmpty) {
    const built = configFromFileInOnePass(empty, file, hashPassword);
    if (built) return { ok: true, config: built };
  }
  return configFromFileByCommands(empty, file, hashPassword);
}

/** The reference: every command of the file applied in order, as an administrator would. */
export function configFromFileByCommands(empty: SyncConfig, file: ConfigFile, hashPassword: (password: string) => string): OperationResult {
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

/**
 * The same configuration as `configFromFileByCommands` in one pass, or undefined when any
 * command would be refused (the caller then takes the command path for its message). Each check
 * is the one the command makes, on the configuration as the commands would have built it so far.
 */
export function configFromFileInOnePass(empty: SyncConfig, file: ConfigFile, hashPassword: (password: string) => string): SyncConfig | undefined {
  const blank = (text: string) => typeof text !== 'string' || text.trim() === '';
  const sites: Record<string, Site> = {};
  const siteNames = new Set<string>();
  let central: Site | undefined;
  for (const input of file.sites) {
    const key = String(input.siteId);
    const lower = input.name.toLowerCase();
    if (!Number.isInteger(input.siteId) || input.siteId < 1 || input.siteId > MAX_SITE_ID) return undefined;
    if (blank(input.name) || blank(input.code) || Object.prototype.hasOwnProperty.call(sites, key) || siteNames.has(lower)) return undefined;
    if (input.kind === 'central' && (central || input.password !== undefined)) return undefined;
    const site: Site = { siteId: input.siteId, name: input.name, code: input.code, kind: input.kind, credential: '', hardwareId: '' };
    if (input.password !== undefined) {
      const credential = hashPassword(input.password);
      if (credential === '') return undefined;
      sites[key] = { ...site, credential };
    } else sites[key] = site;
    siteNames.add(lower);
    if (input.kind === 'central') central = site;
  }

  let preferences = empty.preferences;
  if (Object.keys(file.preferences).length > 0) {
    const changes = Object.fromEntries(Object.entries(file.preferences).filter(([, value]) => value !== undefined));
    preferences = { ...preferences, ...changes };
    if (preferences.primarySiteId !== null && sites[String(preferences.primarySiteId)]?.kind !== 'desktop') return undefined;
  }
  const holdsEvery = (siteId: number) => sites[String(siteId)]?.kind === 'central' || preferences.primarySiteId === siteId;

  const stores: Record<string, Store> = {};
  const storeIdByNameId = new Map<string, string>();
  const activeCount = new Map<number, number>();
  for (const { syncWith: _syncWith, ...input } of file.stores) {
    if (blank(input.id) || blank(input.nameId) || blank(input.code) || blank(input.name) || !central) return undefined;
    if (Object.prototype.hasOwnProperty.call(stores, input.id) || storeIdByNameId.has(input.nameId)) return undefined;
    const site = sites[String(input.activeSiteId)];
    if (!site) return undefined;
    const active = (activeCount.get(site.siteId) ?? 0) + 1;
    if (site.kind === 'mobile' && active > 1) return undefined;
    activeCount.set(site.siteId, active);
    stores[input.id] = newStore(input, site, central.siteId);
    storeIdByNameId.set(input.nameId, input.id);
  }

  const visible = new Map<string, Set<string>>();
  const see = (storeId: string, nameId: string) => {
    const names = visible.get(storeId);
    if (names) names.add(nameId);
    else visible.set(storeId, new Set([nameId]));
  };
  for (const { storeId, nameId } of file.visibility) {
    const store = Object.prototype.hasOwnProperty.call(stores, storeId) ? stores[storeId]! : undefined;
    if (!store || blank(nameId)) return undefined;
    if (visible.get(storeId)?.has(nameId)) continue; // already visible: tolerated
    see(storeId, nameId);
    const other = storeIdByNameId.get(nameId);
    if (other !== undefined && other !== storeId) see(other, store.nameId);
  }
  // Sites where each store is visible to a store active there.
  const visibleOnSites = new Map<string, Set<number>>();
  for (const [seerId, names] of visible) {
    for (const nameId of names) {
      const seen = storeIdByNameId.get(nameId);
      if (seen === undefined || seen === seerId) continue;
      const onSites = visibleOnSites.get(seen) ?? new Set<number>();
      onSites.add(stores[seerId]!.activeSiteId);
      visibleOnSites.set(seen, onSites);
    }
  }

  for (const input of file.stores) {
    for (const [siteText, value] of Object.entries(input.syncWith)) {
      const siteId = Number(siteText);
      const store = stores[input.id]!;
      if (!sites[String(siteId)] || store.activeSiteId === siteId) return undefined;
      const holdsAll = holdsEvery(siteId);
      const isVisible = visibleOnSites.get(store.id)?.has(siteId) ?? false;
      if (value === 'none' ? holdsAll || isVisible : !holdsAll && !isVisible) return undefined;
      const collectors = store.collectorSiteIds.filter((id) => id !== siteId);
      if (value === 'activeCollector') collectors.push(siteId);
      stores[store.id] = { ...store, collectorSiteIds: [...new Set(collectors)].sort((a, b) => a - b) };
    }
  }

  let config: SyncConfig = {
    ...empty,
    sites,
    stores,
    visibility: Object.fromEntries([...visible].map(([storeId, names]) => [storeId, [...names].sort()])),
    preferences,
  };
  for (const command of userCommandsFromFile(file, hashPassword)) {
    const result = applyCommand(config, command);
    if (!result.ok) return undefined;
    config = result.config;
  }
  return invariantViolations(config).length === 0 ? config : undefined;
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
