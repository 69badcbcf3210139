/** The storage the central reports need, as interfaces the domain owns (functions/storage/report-*.ts). */
import type { StoredRecord } from '../ports';

/** Keeps the report figures up to date with records as routing handles them. */
export interface ReportProjection {
  /**
   * Counts each record's current version exactly once, whatever was counted for it before: a
   * version already counted (a redelivered batch) changes nothing, an older one never replaces it.
   */
  project(records: readonly StoredRecord[]): Promise<void>;
}

export interface StockFigure {
  readonly storeId: string;
  readonly itemId: string;
  readonly locationId: string;
  readonly units: number;
  readonly value: number;
}

export interface StoreValueFigure {
  readonly storeId: string;
  readonly units: number;
  readonly value: number;
}

export interface UsageFigure {
  readonly storeId: string;
  readonly month: string;
  readonly itemId: string;
  readonly units: number;
}

/** Reads of the kept figures: each a query of one partition, never of the central copy. */
export interface ReportFigures {
  /** Stores that ever had a figure. */
  stores(): Promise<string[]>;
  /** A store's stock per (item, location); only the items named, when named. */
  stock(storeId: string, itemIds?: readonly string[]): Promise<StockFigure[]>;
  /** Every store's stock value and units. */
  storeValues(): Promise<StoreValueFigure[]>;
  /** A store's usage per (month, item), months from `fromMonth` to `toMonth` included. */
  usage(storeId: string, fromMonth?: string, toMonth?: string): Promise<UsageFigure[]>;
  /** Merged-away item id → the item kept. */
  mergedItems(): Promise<Map<string, string>>;
}
