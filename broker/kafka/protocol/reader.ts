/**
 * Reads Kafka's primitive types from a request frame (big-endian integers, unsigned varints for
 * compact lengths and tag buffers). Every read checks the bytes are there: a truncated or forged
 * frame throws KafkaFrameError, which closes that connection and nothing else.
 */
import { KafkaFrameError } from './frame-error.js';

const TWO_32 = 2 ** 32;

export class Reader {
  position: number;

  constructor(
    readonly buffer: Buffer,
    position = 0,
    readonly end = buffer.length,
  ) {
    this.position = position;
  }

  get remaining(): number {
    return this.end - this.position;
  }

  private take(bytes: number): number {
    const at = this.position;
    if (bytes < 0 || at + bytes > this.end) throw new KafkaFrameError(`truncated: ${bytes} bytes needed at ${at}, ${this.end - at} left`);
    this.position = at + bytes;
    return at;
  }

  int8(): number {
    return this.buffer.readInt8(this.take(1));
  }

  int16(): number {
    return this.buffer.readInt16BE(this.take(2));
  }

  uint16(): number {
    return this.buffer.readUInt16BE(this.take(2));
  }

  int32(): number {
    return this.buffer.readInt32BE(this.take(4));
  }

  /** An int64 as a number: exact up to 2^53, which every offset, timestamp and id a client sends fits. */
  int64(): number {
    const at = this.take(8);
    return this.buffer.readInt32BE(at) * TWO_32 + this.buffer.readUInt32BE(at + 4);
  }

  float64(): number {
    return this.buffer.readDoubleBE(this.take(8));
  }

  bool(): boolean {
    return this.buffer[this.take(1)] !== 0;
  }

  /** 32 hex digits: a form usable as a Map key. */
  uuid(): string {
    const at = this.take(16);
    return this.buffer.toString('hex', at, at + 16);
  }

  /** Protobuf-style unsigned varint of at most 32 bits (5 bytes), as Kafka's compact lengths use. */
  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.buffer[this.take(1)]!;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        if (value > 0xffffffff) break;
        return value;
      }
    }
    throw new KafkaFrameError(`unsigned varint longer than 32 bits at ${this.position}`);
  }

  /** `bytes` bytes as a view into the frame (no copy). */
  slice(bytes: number): Buffer {
    const at = this.take(bytes);
    return this.buffer.subarray(at, at + bytes);
  }

  skip(bytes: number): void {
    this.take(bytes);
  }
}
