/**
 * Every answer must fit Lambda's 6 MB response payload (API Gateway then answers 502 and the
 * site's pull fails on every sync). The body travels JSON-escaped inside the payload, so a
 * record counts for the size of its JSON written as a JSON string. Pages are cut by this budget,
 * always keeping at least one record: no stored record comes near it on its own (a pushed
 * record is refused above MAX_RECORD_BYTES, and DynamoDB keeps items of at most 400 KB).
 */

/** Lambda's limit is 6,291,556 bytes for the whole payload; the rest is headroom for the envelope. */
export const RESPONSE_BUDGET_BYTES = 5 * 1024 * 1024;

/** What one item adds to the Lambda response payload (its JSON, escaped into the body string). */
export const payloadBytes = (item: unknown): number => Buffer.byteLength(JSON.stringify(JSON.stringify(item)), 'utf8');

/** The longest prefix of `items` within the budget, never fewer than one item. */
export function takeWithinBudget<T>(items: readonly T[], budgetBytes = RESPONSE_BUDGET_BYTES): T[] {
  const kept: T[] = [];
  let used = 0;
  for (const item of items) {
    const size = payloadBytes(item);
    if (kept.length > 0 && used + size > budgetBytes) break;
    kept.push(item);
    used += size;
  }
  return kept;
}
