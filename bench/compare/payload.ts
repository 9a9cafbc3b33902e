/**
 * Record values carry their own clock: the first 8 bytes are a float64 (little-endian) of
 * clockMs() at the time the record was sent, or was scheduled to be sent (open loop), so a
 * consumer in any thread of this process measures end-to-end latency without the system's help.
 * The rest of the value is zeros: no system here compresses, so content does not matter.
 */
export const STAMP_BYTES = 8;

/**
 * Monotonic time in ms that every thread of the process agrees on: performance.now() counts from
 * each thread's own start, timeOrigin says when that was. A float64 of ~1.8e12 ms keeps 0.25 µs.
 */
export function clockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** `count` values of `recordBytes`, views into one allocation; stamps: one time for all, or one per value. */
export function stampedValues(count: number, recordBytes: number, stampsMs: number | readonly number[]): Buffer[] {
  if (recordBytes < STAMP_BYTES) throw new Error(`records of ${recordBytes} bytes cannot hold an ${STAMP_BYTES}-byte time stamp`);
  const block = Buffer.alloc(count * recordBytes);
  const values: Buffer[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const value = block.subarray(i * recordBytes, (i + 1) * recordBytes);
    value.writeDoubleLE(typeof stampsMs === 'number' ? stampsMs : stampsMs[i]!, 0);
    values[i] = value;
  }
  return values;
}

const scratch = new Float64Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);

/** The stamp of a value, from any Uint8Array view (NATS hands out Uint8Array, the others Buffer). */
export function readStamp(value: Uint8Array): number {
  for (let i = 0; i < STAMP_BYTES; i++) scratchBytes[i] = value[i]!;
  return scratch[0]!;
}
