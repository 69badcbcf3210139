/**
 * Writes of independent items (each record once) need no order: chunks go out a few at a time,
 * so a 1024-record batch costs a few round trips of latency rather than eleven in a row.
 */
export async function forEachChunk<T>(items: readonly T[], size: number, concurrency: number, write: (chunk: readonly T[]) => Promise<void>): Promise<void> {
  const chunks: Array<readonly T[]> = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) await write(chunks[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, chunks.length) }, worker));
}
