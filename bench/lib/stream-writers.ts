/** The writers of the stream benches (bench:streams-index, bench:streams). */

/**
 * `writers` concurrent writers send `events` events in all; writer w owns streams w, w + writers,
 * ... (distinct streams, so no conditional append loses) and round-robins over them. `write` gets
 * the stream's index and the version the writer knows (-1: none yet).
 */
export async function runOwnedWriters(
  shape: { events: number; streams: number; writers: number },
  write: (index: number, version: number) => Promise<void>,
): Promise<{ events: number; seconds: number }> {
  const versions = new Int32Array(shape.streams).fill(-1);
  let issued = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: shape.writers }, async (_, writer) => {
      const owned = Math.ceil((shape.streams - writer) / shape.writers);
      for (let turn = 0; issued < shape.events; turn++) {
        issued++;
        const index = writer + shape.writers * (turn % owned);
        await write(index, versions[index]!);
        versions[index]!++;
      }
    }),
  );
  return { events: issued, seconds: (performance.now() - started) / 1000 };
}
