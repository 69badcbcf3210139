/**
 * The site's own processors, run after every sync that integrated (`synchroniser.rs` triggers
 * the requisition and invoice transfer processors last). What they make is a local change of the
 * site: it enters the change log and is pushed by a later sync.
 */
import type { HeldRecord } from './state';

export interface ProcessorInput {
  /** The site's active stores (`ActiveStoresOnSite`). */
  readonly activeStoreIds: readonly string[];
  /**
   * Every record changed since the processors last ran, pulled or made on the site, oldest
   * change first (the processors read the change log from their own cursor).
   */
  readonly integrated: readonly HeldRecord[];
  readonly held: (tableName: string, recordId: string) => Record<string, unknown> | undefined;
  readonly heldRecords: (tableName?: string) => HeldRecord[];
}

/** A record a processor created or changed: upserted as a local change. */
export interface ProcessorChange {
  readonly tableName: string;
  readonly recordId: string;
  readonly recordData: Record<string, unknown>;
  /** `delete`: the processor removed the record (an inbound shipment's lines made again). @default an upsert */
  readonly action?: 'insert' | 'update' | 'delete';
}

export type Processor = (input: ProcessorInput) => readonly ProcessorChange[];

/** No processor: for tests of the protocol alone. */
export const noProcessors: Processor = () => [];
