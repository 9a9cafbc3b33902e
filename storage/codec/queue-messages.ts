/**
 * The binary answer of a queue receive (`POST .../receive?format=binary`, content type
 * application/vnd.spool.queue-messages): the messages a worker leased, written by the broker
 * (broker/routes/queues.ts) and read by the client (client/queue/queue.ts). It replaces, per
 * message, a JSON object with a base64 value and a header map: a 100-byte message takes 100 + ~60
 * bytes instead of ~300, and neither side builds or parses text for it. All integers big-endian;
 * offsets and timestamps are float64 because they are JS numbers (exact up to 2^53, as everywhere
 * in Spool); a length of -1 (0xffffffff) means null.
 *
 *   answer                               message
 *   | off | size | field        |        | size   | field                                   |
 *   | 0   | 4    | message count|        | 4      | partition (uint32)                      |
 *   | 4   | ...  | messages     |        | 8      | offset (float64)                        |
 *                                        | 8      | timestamp, ms (float64)                 |
 *                                        | 4      | deliveryCount (uint32)                  |
 *                                        | 1 + n  | receipt: length (uint8), latin1 bytes   |
 *                                        | 4 + n  | key: length (int32, -1 null), bytes     |
 *                                        | 4 + n  | value: length (int32, -1 null), bytes   |
 *                                        | 4      | header count (uint32)                   |
 *                                        | per header: name length (uint32), UTF-8 name,   |
 *                                        |   value length (int32, -1 null), value bytes    |
 *
 * A pure codec, no I/O. An answer that does not decode whole is an error, never fewer messages.
 */
import { StorageError } from '../errors.js';
import type { DecodedRecord, RecordHeader } from './record-batch.js';

export const QUEUE_MESSAGES_CONTENT_TYPE = 'application/vnd.spool.queue-messages';

export interface QueueWireMessage {
  receipt: string;
  partition: number;
  offset: number;
  deliveryCount: number;
  record: Pick<DecodedRecord, 'timestamp' | 'key' | 'value' | 'headers'>;
}

/** The decoded form: key, value and header values are views into the answer's bytes (no copy). */
export interface DecodedQueueMessage {
  receipt: string;
  partition: number;
  offset: number;
  timestamp: number;
  deliveryCount: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

const FIXED_BYTES = 4 + 8 + 8 + 4;
const NULL_LENGTH = -1;
const RECEIPT_BYTES_MAX = 255;

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new StorageError('SPOOL_ERR_CORRUPT_ANSWER', `queue messages answer: ${message}`);
}

function sizeOf(message: QueueWireMessage): number {
  const { key, value, headers } = message.record;
  let size = FIXED_BYTES + 1 + message.receipt.length + 4 + (key?.length ?? 0) + 4 + (value?.length ?? 0) + 4;
  for (const header of headers) size += 4 + Buffer.byteLength(header.key) + 4 + (header.value?.length ?? 0);
  return size;
}

function writeBytes(buffer: Buffer, position: number, bytes: Buffer | null): number {
  if (bytes === null) {
    buffer.writeInt32BE(NULL_LENGTH, position);
    return position + 4;
  }
  buffer.writeInt32BE(bytes.length, position);
  bytes.copy(buffer, position + 4);
  return position + 4 + bytes.length;
}

/**
 * The answer's bytes; with `frameType`, one byte of it first (a queue session's MESSAGES frame,
 * queue-session-frames.ts), written in place rather than copied in front afterwards.
 */
export function encodeQueueMessages(messages: readonly QueueWireMessage[], frameType?: number): Buffer {
  const head = frameType === undefined ? 0 : 1;
  let total = head + 4;
  for (const message of messages) total += sizeOf(message);
  const buffer = Buffer.allocUnsafe(total);
  if (frameType !== undefined) buffer.writeUInt8(frameType, 0);
  buffer.writeUInt32BE(messages.length, head);
  let position = head + 4;
  for (const message of messages) {
    const { receipt, record } = message;
    assert(receipt.length <= RECEIPT_BYTES_MAX, `receipt of ${receipt.length} characters (at most ${RECEIPT_BYTES_MAX})`);
    buffer.writeUInt32BE(message.partition, position);
    buffer.writeDoubleBE(message.offset, position + 4);
    buffer.writeDoubleBE(record.timestamp, position + 12);
    buffer.writeUInt32BE(message.deliveryCount, position + 20);
    buffer.writeUInt8(receipt.length, position + 24);
    position += FIXED_BYTES + 1 + buffer.write(receipt, position + FIXED_BYTES + 1, 'latin1');
    position = writeBytes(buffer, position, record.key);
    position = writeBytes(buffer, position, record.value);
    buffer.writeUInt32BE(record.headers.length, position);
    position += 4;
    for (const header of record.headers) {
      const nameBytes = buffer.write(header.key, position + 4, 'utf8');
      buffer.writeUInt32BE(nameBytes, position);
      position = writeBytes(buffer, position + 4 + nameBytes, header.value);
    }
  }
  return buffer;
}

/** Reads the bytes at `position` (length-prefixed, -1 null): the value and where the next field starts. */
function readBytes(view: Buffer, position: number, what: string): [Buffer | null, number] {
  assert(position + 4 <= view.length, `${what} length at byte ${position} runs past the end (${view.length} bytes)`);
  const length = view.readInt32BE(position);
  if (length === NULL_LENGTH) return [null, position + 4];
  assert(length >= 0, `${what} length ${length} at byte ${position}`);
  assert(position + 4 + length <= view.length, `${what} of ${length} bytes at byte ${position} runs past the end (${view.length} bytes)`);
  return [view.subarray(position + 4, position + 4 + length), position + 4 + length];
}

export function decodeQueueMessages(bytes: Uint8Array): DecodedQueueMessage[] {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert(view.length >= 4, `${view.length} bytes, shorter than the message count`);
  const count = view.readUInt32BE(0);
  // Each message takes at least its fixed fields: a forged count cannot make us allocate for it.
  assert(count <= (view.length - 4) / (FIXED_BYTES + 1 + 4 + 4 + 4), `${count} messages cannot fit in ${view.length} bytes`);
  const messages: DecodedQueueMessage[] = new Array(count);
  let position = 4;
  for (let i = 0; i < count; i++) {
    assert(position + FIXED_BYTES + 1 <= view.length, `message ${i} at byte ${position} runs past the end (${view.length} bytes)`);
    const partition = view.readUInt32BE(position);
    const offset = view.readDoubleBE(position + 4);
    const timestamp = view.readDoubleBE(position + 12);
    const deliveryCount = view.readUInt32BE(position + 20);
    assert(Number.isSafeInteger(offset) && offset >= 0, `offset ${offset} of message ${i} is not a safe non-negative integer`);
    const receiptLength = view.readUInt8(position + 24);
    position += FIXED_BYTES + 1;
    assert(position + receiptLength <= view.length, `receipt of message ${i} runs past the end (${view.length} bytes)`);
    const receipt = view.toString('latin1', position, position + receiptLength);
    position += receiptLength;
    let key: Buffer | null;
    let value: Buffer | null;
    [key, position] = readBytes(view, position, 'key');
    [value, position] = readBytes(view, position, 'value');
    assert(position + 4 <= view.length, `header count of message ${i} runs past the end (${view.length} bytes)`);
    const headerCount = view.readUInt32BE(position);
    position += 4;
    // Each header takes at least its two lengths: a forged count cannot make us loop for it.
    assert(headerCount <= (view.length - position) / 8, `${headerCount} headers of message ${i} cannot fit in the ${view.length - position} bytes left`);
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      assert(position + 4 <= view.length, `header ${h} of message ${i} runs past the end (${view.length} bytes)`);
      const nameEnd = position + 4 + view.readUInt32BE(position);
      assert(nameEnd <= view.length, `header ${h} name of message ${i} runs past the end (${view.length} bytes)`);
      const name = view.toString('utf8', position + 4, nameEnd);
      let headerValue: Buffer | null;
      [headerValue, position] = readBytes(view, nameEnd, 'header value');
      headers.push({ key: name, value: headerValue });
    }
    messages[i] = { receipt, partition, offset, timestamp, deliveryCount, key, value, headers };
  }
  assert(position === view.length, `${view.length - position} bytes left after ${count} messages`);
  return messages;
}
