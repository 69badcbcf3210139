/**
 * Reading JSON from a request. `JSON.parse` itself never recurses, but almost everything after it
 * does (`JSON.stringify`, validation, marshalling), so nesting is checked right after parsing,
 * without recursion, before anything else touches the value.
 */

/**
 * Deepest nesting accepted in any request body: the Open mSupply client reads and writes its JSON
 * with serde_json, whose parser stops at 128 levels, so nothing it sends is deeper; a few levels
 * more cover the envelopes around its records.
 */
export const MAX_JSON_DEPTH = 128 + 8;

/** Whether `value` nests deeper than `maxDepth` (checked without recursion). */
export function nestedDeeperThan(value: unknown, maxDepth: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= maxDepth) return true;
    for (const child of Object.values(current)) stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}

export type JsonText = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly code: 'invalid_json' | 'too_deep'; readonly message: string };

/** Parses `text` as JSON nested at most `maxDepth` levels. */
export function parseJsonText(text: string, maxDepth = MAX_JSON_DEPTH): JsonText {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, code: 'invalid_json', message: `not valid JSON: ${(error as Error).message}` };
  }
  if (nestedDeeperThan(value, maxDepth)) return { ok: false, code: 'too_deep', message: `nested deeper than ${maxDepth} levels` };
  return { ok: true, value };
}

/** `decodeURIComponent`, or undefined for a malformed percent-encoding (which would throw). */
export function decodePathSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Whether `text` is well-formed Unicode. JSON can carry a lone surrogate (`"\ud83d"`), which no
 * UTF-8 store can keep: an id holding one is refused at the edge, never passed to storage.
 */
export const isWellFormed = (text: string): boolean => !LONE_SURROGATE.test(text);
export const WELL_FORMED_MESSAGE = 'must be well-formed Unicode (it holds a lone surrogate)';
