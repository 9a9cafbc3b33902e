/**
 * An output buffer that never grows past a limit: what the streaming fallbacks of the codecs write
 * into, so that a block which would decompress past the caller's limit is refused having cost at
 * most the limit. Grows by doubling (up to the limit) from a size the caller guesses.
 */
import { tooLarge } from './codec-errors.js';

export class BoundedOutput {
  buffer: Buffer;
  length = 0;

  constructor(private readonly codec: string, readonly maxBytes: number, initialBytes: number) {
    this.buffer = Buffer.allocUnsafe(Math.max(64, Math.min(initialBytes, maxBytes)));
  }

  /** Makes room for `bytes` more, or refuses the block for passing the limit. */
  reserve(bytes: number): void {
    const needed = this.length + bytes;
    if (needed > this.maxBytes) tooLarge(this.codec, needed, this.maxBytes);
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.min(this.maxBytes, Math.max(needed, this.buffer.length * 2)));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  append(source: Uint8Array, start: number, end: number): void {
    this.reserve(end - start);
    this.buffer.set(source.subarray(start, end), this.length);
    this.length += end - start;
  }

  result(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}
