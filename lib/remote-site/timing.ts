/**
 * The real client's waits and timeouts, in seconds as its source names them, and one time scale
 * that shrinks every one of them proportionally (tests) without ever skipping a wait.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** `sync/synchroniser.rs`: INTEGRATION_POLL_PERIOD_SECONDS, INTEGRATION_TIMEOUT_SECONDS. */
export const INTEGRATION_POLL_SECONDS = 1;
export const INTEGRATION_TIMEOUT_SECONDS = 30;
/** `sync/remote_data_synchroniser.rs`: INITIALISATION_POLL_PERIOD_SECONDS, INITIALISATION_TIMEOUT_SECONDS. */
export const INITIALISATION_POLL_SECONDS = 15;
export const INITIALISATION_TIMEOUT_SECONDS = 30 * 60;
/** `util/src/api_helper.rs`: RetrySeconds::default() (one connect timeout per attempt) and READ_IDLE_TIMEOUT. */
export const CONNECT_TIMEOUTS_SECONDS = [2, 5, 10] as const;
export const READ_IDLE_TIMEOUT_SECONDS = 5 * 60;

export class Timing {
  /** @param scale 1 is real time; 0.05 makes every wait and timeout 20 times shorter. */
  constructor(readonly scale = 1) {
    if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`timeScale must be a positive number, got ${scale}`);
  }

  /** Seconds of the real client, as milliseconds at this scale (at least 1 ms: never skipped). */
  ms(seconds: number): number {
    return Math.max(1, Math.round(seconds * 1000 * this.scale));
  }

  sleep(seconds: number): Promise<void> {
    return sleep(this.ms(seconds));
  }
}
