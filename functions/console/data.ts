/**
 * What the console shows, as the ports it reads through: the fleet (one row per site), the
 * quarantine, and the optional actions and reports. The handler renders whatever these return;
 * the production wiring is in handlers/console.ts.
 */
import type { Quarantine } from '../domain/ports';
import type { ReportDeps } from '../services/reports';

/** One site as the fleet page shows it. */
export interface FleetSite {
  readonly siteId: number;
  readonly name: string;
  readonly code: string;
  readonly kind: string;
  readonly lastConnection?: {
    readonly at: string;
    readonly appName?: string;
    readonly appVersion?: string;
    readonly hardwareId?: string;
  };
  readonly lastPushAt?: string;
  readonly lastPullAt?: string;
  readonly lastInitialisedAt?: string;
  readonly initialisationStatus?: string;
  /** Records queued for the site and not yet acknowledged. */
  readonly waiting: number;
  /** Records from the site refused (quarantined) in the last day. */
  readonly refusedLastDay?: number;
  /** Silent past the threshold (or never connected). */
  readonly silent: boolean;
}

export interface FleetPage {
  readonly sites: readonly FleetSite[];
  readonly next?: string;
}

export interface QuarantineActionResult {
  /** What the operator is told, e.g. "2 accepted, 1 still refused". */
  readonly message: string;
}

export interface ConsoleData {
  fleet(options: { now: Date; silentAfterDays: number; pageToken?: string; limit: number }): Promise<FleetPage>;
  /** One site's row, or undefined when no such remote site exists. */
  site(options: { siteId: number; now: Date; silentAfterDays: number }): Promise<FleetSite | undefined>;
  /** The stores on a site, with how each is held there. */
  storesOf(siteId: number): Promise<ReadonlyArray<{ id: string; code: string; name: string; type: string }>>;
  /** Every store, for the reports' store picker. */
  allStores(): Promise<ReadonlyArray<{ id: string; code: string; name: string }>>;
  readonly quarantine: Quarantine;
  /** Re-decides quarantined records under today's configuration; absent: the button is not offered. */
  readonly replay?: (request: { siteId: number; changeIds: readonly string[]; actor: string }) => Promise<QuarantineActionResult>;
  /** Closes quarantined records with a reason; absent: the button is not offered. */
  readonly resolve?: (request: { siteId: number; changeIds: readonly string[]; reason: string; actor: string }) => Promise<QuarantineActionResult>;
  /** The central reports (services/reports.ts); absent: the reports page says they are not available. */
  readonly reports?: ReportDeps;
}
