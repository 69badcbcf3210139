/**
 * The days of silence after which a site counts as silent, one setting for the whole deployment:
 * the stack's `silentAfterDays` reaches the silent-sites alarm, the admin API's sync report and
 * the console as SILENT_AFTER_DAYS, so all three flag the same sites.
 */
import { DEFAULT_SILENT_AFTER_DAYS } from '../services/sync-report';

/** Days of silence that count, from SILENT_AFTER_DAYS (a whole number from 1), else 30. */
export function silentAfterDaysFromEnvironment(value = process.env.SILENT_AFTER_DAYS): number {
  const days = Number(value);
  return value && Number.isInteger(days) && days >= 1 ? days : DEFAULT_SILENT_AFTER_DAYS;
}
