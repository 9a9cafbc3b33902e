/**
 * An output buffer that never grows past a limit: what the streaming fallbacks of the codecs write
 * into, so that a block which would decompress past the caller's limit is refused having cost at
 * most the limit. Grows by doubling (up to the limit) from a size the caller guesses.
 */
import { tooLarge } from './codec-errors.js';

export class BoundedOutput {
  buffer: Buffer;
  length = 0;

  /** `overflow` answers output past maxBytes: too large by default, damage where the size was declared. */
  constructor(
    private readonly codec: string,
    readonly maxBytes: number,
    initialBytes: number,
    private readonly overflow: (neededBytes: number) => never = (neededBytes) => tooLarge(codec, neededBytes, maxBytes),
  ) {
    this.buffer = Buffer.allocUnsafe(Math.max(64, Math.min(initialBytes, maxBytes)));
  }

  /** Makes room for `bytes` more, or refuses the block for passing the limit. */
  reserve(bytes: number): void {
    const needed = this.length + bytes;
    if (needed > this.maxBytes) this.overflow(needed);
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.min(this.maxBytes, Math.max(needed, this.buffer.length * 2)));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  append(source: Uint8Array, start: number, end: number): void {
    this.reserve(end - start);
    const buffer = this.buffer;
    if (end - start <= 16) {
      // Short literals are the common case in LZ4 and snappy: a loop beats a view plus a copy.
      let at = this.length;
      for (let i = start; i < end; i++) buffer[at++] = source[i]!;
    } else {
      buffer.set(source.subarray(start, end), this.length);
    }
    this.length += end - start;
  }

  /**
   * Copies `length` bytes from `offset` bytes back (LZ77, as LZ4 and snappy matches do). The source
   * may overlap what is written (offset < length repeats a pattern): each step copies a whole
   * number of periods, so the chunk doubles and a long run costs few copies.
   */
  copyMatch(offset: number, length: number): void {
    this.reserve(length);
    const source = this.length - offset;
    let copied = 0;
    while (copied < length) {
      const chunk = Math.min(length - copied, offset + copied);
      this.buffer.copyWithin(this.length + copied, source, source + chunk);
      copied += chunk;
    }
    this.length += length;
  }

  result(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}
