/**
 * Big-endian int64 fields (offsets, timestamps, producer ids) held in JavaScript numbers, exact to
 * 2^53: every offset and millisecond timestamp Spool writes fits. Shared by every on-disk format.
 */
import { assert } from '../assert.js';

export function readInt64(buffer: Buffer, position: number): number {
  return buffer.readInt32BE(position) * 4294967296 + buffer.readUInt32BE(position + 4);
}

/** Refuses, before writing a byte, a value a JavaScript number does not hold exactly. */
export function writeInt64(buffer: Buffer, position: number, value: number): void {
  assert(Number.isSafeInteger(value), `int64 field value ${value} is not a safe integer`);
  const high = Math.floor(value / 4294967296);
  buffer.writeInt32BE(high, position);
  buffer.writeUInt32BE(value - high * 4294967296, position + 4);
}
