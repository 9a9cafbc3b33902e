/**
 * Writes Kafka's primitive types into a growing buffer. Large byte fields (a fetch's record sets)
 * are not copied: the part written so far is cut off and the caller's buffer is queued beside it,
 * so a fetch answer goes to the socket as a list of buffers with the segment bytes as read.
 */
const TWO_32 = 2 ** 32;
/** Byte fields at least this long are queued as they are instead of copied. */
const COPY_BYTES_MAX = 4096;

export class Writer {
  private buffer: Buffer;
  private position = 0;
  /** Start of the part of `buffer` not yet cut into `chunks`. */
  private start = 0;
  private readonly chunks: Buffer[] = [];
  private chunkBytes = 0;

  constructor(initialBytes = 256) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  /** Bytes written so far, queued chunks included. */
  get length(): number {
    return this.chunkBytes + this.position - this.start;
  }

  private ensure(bytes: number): void {
    if (this.position + bytes <= this.buffer.length) return;
    const pending = this.position - this.start;
    const next = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, pending + bytes + 256));
    this.buffer.copy(next, 0, this.start, this.position);
    this.buffer = next;
    this.start = 0;
    this.position = pending;
  }

  int8(value: number): void {
    this.ensure(1);
    this.position = this.buffer.writeInt8(value, this.position);
  }

  int16(value: number): void {
    this.ensure(2);
    this.position = this.buffer.writeInt16BE(value, this.position);
  }

  uint16(value: number): void {
    this.ensure(2);
    this.position = this.buffer.writeUInt16BE(value, this.position);
  }

  int32(value: number): void {
    this.ensure(4);
    this.position = this.buffer.writeInt32BE(value, this.position);
  }

  int64(value: number): void {
    this.ensure(8);
    const high = Math.floor(value / TWO_32);
    this.buffer.writeInt32BE(high, this.position);
    this.buffer.writeUInt32BE(value - high * TWO_32, this.position + 4);
    this.position += 8;
  }

  float64(value: number): void {
    this.ensure(8);
    this.position = this.buffer.writeDoubleBE(value, this.position);
  }

  bool(value: boolean): void {
    this.int8(value ? 1 : 0);
  }

  uuid(hex: string): void {
    this.ensure(16);
    const written = this.buffer.write(hex, this.position, 16, 'hex');
    this.buffer.fill(0, this.position + written, this.position + 16);
    this.position += 16;
  }

  uvarint(value: number): void {
    this.ensure(5);
    let rest = value >>> 0;
    while (rest >= 0x80) {
      this.buffer[this.position++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    this.buffer[this.position++] = rest;
  }

  utf8(text: string, bytes: number): void {
    this.ensure(bytes);
    this.position += this.buffer.write(text, this.position, bytes, 'utf8');
  }

  bytes(data: Buffer): void {
    if (data.length < COPY_BYTES_MAX) {
      this.ensure(data.length);
      this.position += data.copy(this.buffer, this.position);
      return;
    }
    this.cut();
    this.chunks.push(data);
    this.chunkBytes += data.length;
  }

  private cut(): void {
    if (this.position === this.start) return;
    const part = this.buffer.subarray(this.start, this.position);
    this.chunks.push(part);
    this.chunkBytes += part.length;
    this.start = this.position;
  }

  /** The bytes written, as a list of buffers to write back to back. */
  finish(): Buffer[] {
    this.cut();
    return this.chunks;
  }
}
