/**
 * The sync configuration: sites, stores, which sites hold which store and how, which names are
 * visible in which store, and system preferences. Plain data, no I/O.
 */

export type SiteKind = 'central' | 'desktop' | 'mobile';
export type StoreMode = 'store' | 'dispensary';
/** The type of a store's instance on one site (sync-rules §2). */
export type InstanceType = 'active' | 'collector' | 'transfer' | 'none';
/** The legacy "sync with" value per (store, site): what the central server sends there. */
export type SyncWith = 'none' | 'activeCollector' | 'transfer';

export interface Site {
  /** Unique integer ≥ 1; not limited to the legacy 1..64. */
  readonly siteId: number;
  /** Unique (case-insensitively): the site's login name. */
  readonly name: string;
  readonly code: string;
  /** `central` is this server itself: exactly one, it never logs in. */
  readonly kind: SiteKind;
  /** Slow salted hash of the SHA-256 the site sends as its password; '' = no password set. */
  readonly credential: string;
  /** Hardware the site is bound to on its first initialisation; '' = not bound yet. */
  readonly hardwareId: string;
}

export interface Store {
  /** Legacy `store.ID`. */
  readonly id: string;
  readonly code: string;
  readonly name: string;
  /** The store's own `name` record (`store.name_ID`). */
  readonly nameId: string;
  readonly mode: StoreMode;
  /** The one site where the store is active (`store.sync_id_remote_site`). */
  readonly activeSiteId: number;
  /** Only affects dispensaries; on by default; only an administrator turns it off. */
  readonly includeTransactionsInSync: boolean;
  /**
   * Sites (other than the active one) whose "sync with" is active/collector. Every other site
   * derives its type from visibility (transfer or none), except the central site, which holds
   * every store and is `transfer` only when it is not listed here.
   */
  readonly collectorSiteIds: readonly number[];
}

export interface Preferences {
  /** A remote site that is the primary (mirrored mode); null: the central server is the primary. */
  readonly primarySiteId: number | null;
  readonly centralisedProcurement: boolean;
  readonly centralisedPayments: boolean;
}

/** A store a user may log in to, with the legacy permission numbers granted there. */
export interface UserStore {
  readonly storeId: string;
  /** Legacy mSupply permission numbers (1-based), ascending and unique; see domain/users/permissions.ts. */
  readonly permissions: readonly number[];
}

/** What an administrator sets on a user (everything but its id and credential). */
export interface UserFields {
  /** Unique (case-insensitively): the login name. */
  readonly name: string;
  readonly active: boolean;
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  readonly jobTitle: string;
  /** Stores the user may log in to, ascending by store id. */
  readonly stores: readonly UserStore[];
  /** One of `stores`, or null. */
  readonly defaultStoreId: string | null;
}

/** A person who logs in on sites; the central server answers their logins (POST /api/v4/login). */
export interface User extends UserFields {
  /** Legacy `user.ID`: what sites store the user under. */
  readonly id: string;
  /** Slow salted hash of the SHA-256 of the password (credentials.ts); '' = cannot log in. */
  readonly credential: string;
}

export interface SyncConfig {
  /** Increases with every committed change (optimistic concurrency). */
  readonly version: number;
  /** Keyed by String(siteId). */
  readonly sites: Readonly<Record<string, Site>>;
  /** Keyed by store id. */
  readonly stores: Readonly<Record<string, Store>>;
  /** name_store_join: store id -> sorted name ids visible in that store. */
  readonly visibility: Readonly<Record<string, readonly string[]>>;
  readonly preferences: Preferences;
  /** Keyed by user id; absent in configurations made before users existed. */
  readonly users?: Readonly<Record<string, User>>;
}

export const defaultPreferences: Preferences = {
  primarySiteId: null,
  centralisedProcurement: false,
  centralisedPayments: false,
};

export const emptyConfig = (): SyncConfig => ({
  version: 0,
  sites: {},
  stores: {},
  visibility: {},
  preferences: defaultPreferences,
});

export const MAX_SITE_ID = 2_147_483_647;
