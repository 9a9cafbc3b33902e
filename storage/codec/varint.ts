/**
 * Zigzag varints as Kafka (and protobuf) write them: the sign folded into the low bit, then 7 bits a
 * byte, least significant first, high bit set on every byte but the last.
 *
 *   value   zigzag   bytes
 *       0        0   00
 *      -1        1   01
 *       1        2   02
 *     -64      127   7f
 *      64      128   80 01
 *
 * `varint` is 32-bit (at most 5 bytes), `varlong` 64-bit (at most 10 bytes). JavaScript numbers hold
 * 53 bits exactly, so values are limited to [-2^52, 2^52 - 1] (their zigzag form must be exact too),
 * which covers every offset delta, length and millisecond timestamp delta Spool writes; larger
 * values are refused (RangeError when encoding, SPOOL_ERR_CORRUPT_BATCH when decoding), never rounded.
 */
import { StorageError } from '../errors.js';

const TWO_POW_31 = 2 ** 31;

export function zigzagEncode(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

export function zigzagDecode(raw: number): number {
  // raw is non-negative; odd means negative.
  return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
}

/** Bytes needed for the zigzag varint of `value`. */
export function varintSize(value: number): number {
  if (value >= 0 && value < 64) return 1;
  let raw = zigzagEncode(value);
  let size = 1;
  while (raw >= 128) {
    raw = Math.floor(raw / 128);
    size++;
  }
  return size;
}

/** Writes the zigzag varint of `value` at `position`; returns the position after it. */
export function writeVarint(buffer: Buffer, position: number, value: number): number {
  if (value >= 0 && value < 64 && (value | 0) === value) {
    buffer[position] = value * 2;
    return position + 1;
  }
  let raw = zigzagEncode(value);
  // The zigzag form must itself be exact: values in [-2^52, 2^52 - 1]. Refused here so the encoder
  // never writes what the decoder would have to reject.
  if (!Number.isSafeInteger(value) || !Number.isSafeInteger(raw)) throw new RangeError(`varint value ${value} is outside [-2^52, 2^52 - 1]`);
  if (raw < TWO_POW_31) {
    // Fast path: bit operations are exact below 2^31.
    while (raw >= 0x80) {
      buffer[position++] = (raw & 0x7f) | 0x80;
      raw >>>= 7;
    }
    buffer[position++] = raw;
    return position;
  }
  while (raw >= 128) {
    buffer[position++] = (raw % 128) | 0x80;
    raw = Math.floor(raw / 128);
  }
  buffer[position++] = raw;
  return position;
}

/** A cursor over a buffer that reads Kafka's varints and fails with a typed error past `end`. */
export class VarintReader {
  constructor(
    readonly buffer: Buffer,
    public position: number,
    /** Reads fail past here; a caller may narrow it to one record and widen it again. */
    public end: number,
  ) {}

  private fail(what: string): never {
    throw new StorageError('SPOOL_ERR_CORRUPT_BATCH', `record data is malformed: ${what} at byte ${this.position}`);
  }

  /** Reads a varint of at most `maxBytes` bytes (5 for varint, 10 for varlong). */
  private readZigzag(maxBytes: number): number {
    // Hot (every field of every record a consumer scans): one and two bytes cover lengths under
    // 8 KiB and offset deltas under 8192, with small-integer arithmetic only.
    const { buffer, position, end } = this;
    if (position < end) {
      const first = buffer[position]!;
      if (first < 0x80) {
        this.position = position + 1;
        return (first >>> 1) ^ -(first & 1);
      }
      const second = position + 1 < end ? buffer[position + 1]! : 0x80;
      if (second < 0x80) {
        this.position = position + 2;
        const raw = (first & 0x7f) | (second << 7);
        return (raw >>> 1) ^ -(raw & 1);
      }
    }
    return this.readZigzagSlow(maxBytes);
  }

  private readZigzagSlow(maxBytes: number): number {
    let raw = 0;
    let multiplier = 1;
    for (let i = 0; i < maxBytes; i++) {
      if (this.position >= this.end) this.fail('varint runs past the end');
      const byte = this.buffer[this.position++]!;
      raw += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) {
        if (!Number.isSafeInteger(raw)) this.fail('varint exceeds 2^53');
        return zigzagDecode(raw);
      }
      multiplier *= 128;
    }
    return this.fail('varint is too long');
  }

  varint(): number {
    return this.readZigzag(5);
  }

  varlong(): number {
    return this.readZigzag(10);
  }

  int8(): number {
    if (this.position >= this.end) this.fail('int8 runs past the end');
    const byte = this.buffer[this.position++]!;
    return byte < 0x80 ? byte : byte - 0x100;
  }

  /** Reads `length` raw bytes as a view (no copy); -1 means null. */
  bytes(length: number, what: string): Buffer | null {
    const start = this.position;
    if (!this.skip(length, what)) return null;
    return this.buffer.subarray(start, this.position);
  }

  /** Steps over `length` raw bytes, checking them like bytes() does; false for -1 (null). */
  skip(length: number, what: string): boolean {
    if (length === -1) return false;
    if (length < -1) this.fail(`negative ${what} length ${length}`);
    if (this.position + length > this.end) this.fail(`${what} runs past the end`);
    this.position += length;
    return true;
  }
}
