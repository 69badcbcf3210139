/** What the benchmarks share: their environment knobs, timing, and the admin API of a local server. */

export const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

export function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number from 1; got "${process.env[name]}"`);
  return value;
}

/** Calls the admin API as the benchmark's operator; a refusal stops the benchmark with its answer. */
export function adminClient(server: { readonly url: string; readonly adminToken: string }) {
  return async (method: string, route: string, body?: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(`${server.url}/admin/v1${route}`, {
      method,
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json', 'x-admin-user': 'bench' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} /admin/v1${route}: ${response.status} ${text.slice(0, 300)}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
}
