/**
 * A little-endian cursor over LZ4 and zstd frames, whose framing both codecs walk before anything
 * is decompressed (to bound the output). Running past the end is damage: SPOOL_ERR_CORRUPT_BATCH
 * naming the codec, the field and the byte. Both formats share the skippable-frame convention:
 * magic 0x184D2A50-0x184D2A5F, a u32 size, then that many bytes to ignore.
 */
import { corruptBlock } from './codec-errors.js';

const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

export class FrameReader {
  position = 0;

  constructor(
    private readonly codec: string,
    readonly data: Buffer,
  ) {}

  get atEnd(): boolean {
    return this.position >= this.data.length;
  }

  need(bytes: number, what: string): void {
    if (this.data.length - this.position < bytes) corruptBlock(this.codec, `${what} is truncated at byte ${this.position}`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.data[this.position++]!;
  }

  u32(what: string): number {
    this.need(4, what);
    const value = this.data.readUInt32LE(this.position);
    this.position += 4;
    return value;
  }

  /** An unsigned little-endian integer of 1 to 8 bytes; past 2^53 it reads as MAX_SAFE_INTEGER (more than any limit). */
  uint(bytes: number, what: string): number {
    this.need(bytes, what);
    let value = 0;
    for (let i = bytes - 1; i >= 0; i--) value = value * 256 + this.data[this.position + i]!;
    this.position += bytes;
    return Math.min(value, Number.MAX_SAFE_INTEGER);
  }

  skip(bytes: number, what: string): void {
    this.need(bytes, what);
    this.position += bytes;
  }

  /** Reads past a skippable frame whose magic was just read; false when the magic is another one. */
  skippedFrame(magic: number): boolean {
    if ((magic & SKIPPABLE_MAGIC_MASK) >>> 0 !== SKIPPABLE_MAGIC) return false;
    this.skip(this.u32('a skippable frame size'), 'a skippable frame');
    return true;
  }
}
