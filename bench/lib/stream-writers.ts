/** The writers of the stream benches (bench:streams-index, bench:streams). */

export interface WriterShape {
  /** Events to send in all (this run). */
  events: number;
  streams: number;
  writers: number;
  /** Events one write carries (default 1): a stream's version moves by this much a write. */
  eventsPerWrite?: number;
}

/**
 * `writers` concurrent writers send `events` events in all; writer w owns streams w, w + writers,
 * ... (distinct streams, so no conditional append loses) and round-robins over them. `write` gets
 * the stream's index and the version the writer knows (-1: none yet). `versions` (one entry per
 * stream, -1 for none) carries the streams' versions from one run to the next, so a bench can
 * split its events into rounds interleaved with a reference.
 */
export async function runOwnedWriters(
  shape: WriterShape,
  write: (index: number, version: number) => Promise<void>,
  versions: Int32Array = new Int32Array(shape.streams).fill(-1),
): Promise<{ events: number; seconds: number }> {
  const perWrite = shape.eventsPerWrite ?? 1;
  let issued = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: shape.writers }, async (_, writer) => {
      const owned = Math.ceil((shape.streams - writer) / shape.writers);
      for (let turn = 0; issued < shape.events; turn++) {
        issued += perWrite;
        const index = writer + shape.writers * (turn % owned);
        await write(index, versions[index]!);
        versions[index]! += perWrite;
      }
    }),
  );
  return { events: issued, seconds: (performance.now() - started) / 1000 };
}
