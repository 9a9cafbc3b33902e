/**
 * The frames of a queue session (`GET /v1/topics/:topic/queues/:queue/session`, a WebSocket): one
 * binary WebSocket message per frame, its first byte the frame type, all integers big-endian.
 * Offsets are float64 as in queue-messages.ts (JS numbers, exact up to 2^53). docs/http-api.md
 * (#queue-sessions) is the contract; the bounds are broker/limits.ts's (queueSession*).
 *
 *   client → broker
 *   0x01 CREDIT   credit (uint32, 1..creditMax outstanding), visibilityMs (uint32, 0: the queue's)
 *   0x02 ACK      id (uint32), count (uint32), count × receipt
 *   0x03 NACK     id (uint32), delayMs (uint32), count (uint32), count × receipt
 *   0x04 REJECT   id (uint32), reason length (uint16), reason (UTF-8), count (uint32), count × receipt
 *   receipt (24 bytes): partition (uint32), offset (float64), deliveryCount (uint32), nonce (8 bytes)
 *
 *   broker → client
 *   0x81 MESSAGES the queue-messages answer (queue-messages.ts): count, then the messages
 *   0x82 SETTLED  id (uint32), failure count (uint32), per failure: index (uint32) in the frame's
 *                 receipts, code (uint8 length, ASCII), message (uint16 length, UTF-8)
 *   0x83 ERROR    code (uint8 length, ASCII), message (uint16 length, UTF-8); the broker closes next
 *
 * A receipt is the text receipt of the HTTP API (`partition.offset.deliveryCount.nonce`) in
 * binary: 24 bytes, no text to build or parse on the client. A pure codec, no I/O; a frame that
 * does not decode whole is an error (SessionFrameError for the broker's input, SPOOL_ERR_CORRUPT_ANSWER
 * for the client's), never a shorter frame.
 */
import { StorageError } from '../errors.js';
import { decodeQueueMessages, encodeQueueMessages, type DecodedQueueMessage, type QueueWireMessage } from './queue-messages.js';

export const SessionFrame = { credit: 0x01, ack: 0x02, nack: 0x03, reject: 0x04, messages: 0x81, settled: 0x82, error: 0x83 } as const;

export type SessionSettlement = 'ack' | 'nack' | 'reject';

export const RECEIPT_BYTES = 24;
const NONCE_BYTES = 8;

/** A receipt in its binary form. */
export interface SessionReceipt {
  partition: number;
  offset: number;
  deliveryCount: number;
  /** The receipt's last part, 8 base64url characters. */
  nonce: string;
}

export type ClientFrame =
  | { type: 'credit'; credit: number; visibilityMs: number }
  | { type: SessionSettlement; id: number; receipts: SessionReceipt[]; delayMs?: number; reason?: string };

export type BrokerFrame =
  | { type: 'messages'; messages: DecodedQueueMessage[] }
  | { type: 'settled'; id: number; failures: SessionFailure[] }
  | { type: 'error'; code: string; message: string };

export interface SessionFailure {
  index: number;
  code: string;
  message: string;
}

/** A client frame that breaks the layout or a bound: the broker closes the session with SPOOL_ERR_SESSION_FRAME, naming `field`. */
export class SessionFrameError extends Error {
  constructor(message: string, readonly field: string) {
    super(message);
  }
}

/** The bounds a client frame is decoded under (broker/limits.ts). */
export interface SessionFrameBounds {
  receiptsPerFrameMax: number;
  reasonBytesMax: number;
}

// ---- receipts --------------------------------------------------------------------------------

/** The binary form of a text receipt, or null when it has not the shape the broker issues. */
export function sessionReceiptOf(receipt: string): SessionReceipt | null {
  const first = receipt.indexOf('.');
  const second = receipt.indexOf('.', first + 1);
  const third = receipt.indexOf('.', second + 1);
  if (first < 1 || second < 0 || third < 0 || receipt.length - third - 1 !== NONCE_BYTES) return null;
  const partition = Number(receipt.slice(0, first));
  const offset = Number(receipt.slice(first + 1, second));
  const deliveryCount = Number(receipt.slice(second + 1, third));
  if (!Number.isSafeInteger(partition) || !Number.isSafeInteger(offset) || !Number.isSafeInteger(deliveryCount)) return null;
  if (partition < 0 || partition > 0xffffffff || offset < 0 || deliveryCount < 0 || deliveryCount > 0xffffffff) return null;
  return { partition, offset, deliveryCount, nonce: receipt.slice(third + 1) };
}

/** The text receipt of a binary one (the form the queue service compares). */
export function textReceiptOf(receipt: SessionReceipt): string {
  return `${receipt.partition}.${receipt.offset}.${receipt.deliveryCount}.${receipt.nonce}`;
}

// ---- client → broker -------------------------------------------------------------------------

export function encodeCredit(credit: number, visibilityMs = 0): Buffer {
  const frame = Buffer.allocUnsafe(9);
  frame.writeUInt8(SessionFrame.credit, 0);
  frame.writeUInt32BE(credit, 1);
  frame.writeUInt32BE(visibilityMs, 5);
  return frame;
}

export function encodeSettle(kind: SessionSettlement, id: number, receipts: readonly SessionReceipt[], options: { delayMs?: number; reason?: string } = {}): Buffer {
  const reason = kind === 'reject' ? Buffer.from(options.reason ?? '', 'utf8') : null;
  const head = 1 + 4 + (kind === 'nack' ? 4 : 0) + (reason ? 2 + reason.length : 0) + 4;
  const frame = Buffer.allocUnsafe(head + receipts.length * RECEIPT_BYTES);
  frame.writeUInt8(SessionFrame[kind], 0);
  frame.writeUInt32BE(id, 1);
  let position = 5;
  if (kind === 'nack') position = frame.writeUInt32BE(options.delayMs ?? 0, position);
  if (reason) {
    position = frame.writeUInt16BE(reason.length, position);
    position += reason.copy(frame, position);
  }
  position = frame.writeUInt32BE(receipts.length, position);
  for (const receipt of receipts) {
    frame.writeUInt32BE(receipt.partition, position);
    frame.writeDoubleBE(receipt.offset, position + 4);
    frame.writeUInt32BE(receipt.deliveryCount, position + 12);
    frame.write(receipt.nonce, position + 16, NONCE_BYTES, 'latin1');
    position += RECEIPT_BYTES;
  }
  return frame;
}

function need(frame: Buffer, end: number, field: string): void {
  if (end > frame.length) throw new SessionFrameError(`truncated frame: ${field} runs past its ${frame.length} bytes`, field);
}

/** The 8 latin1 characters of a receipt's nonce at `at`: without toString's call into C++ per receipt (4% of the broker's CPU). */
function nonceAt(frame: Buffer, at: number): string {
  return String.fromCharCode(frame[at]!, frame[at + 1]!, frame[at + 2]!, frame[at + 3]!, frame[at + 4]!, frame[at + 5]!, frame[at + 6]!, frame[at + 7]!);
}

/** Decodes a client frame under `bounds`; throws SessionFrameError naming the field at fault. */
export function decodeClientFrame(frame: Buffer, bounds: SessionFrameBounds): ClientFrame {
  need(frame, 1, 'type');
  const type = frame.readUInt8(0);
  if (type === SessionFrame.credit) {
    need(frame, 9, 'visibilityMs');
    if (frame.length !== 9) throw new SessionFrameError(`a CREDIT frame has 9 bytes, not ${frame.length}`, 'credit');
    return { type: 'credit', credit: frame.readUInt32BE(1), visibilityMs: frame.readUInt32BE(5) };
  }
  const kind = type === SessionFrame.ack ? 'ack' : type === SessionFrame.nack ? 'nack' : type === SessionFrame.reject ? 'reject' : null;
  if (kind === null) throw new SessionFrameError(`unknown frame type 0x${type.toString(16)}`, 'type');
  need(frame, 5, 'id');
  const id = frame.readUInt32BE(1);
  let position = 5;
  const settle: ClientFrame = { type: kind, id, receipts: [] };
  if (kind === 'nack') {
    need(frame, position + 4, 'delayMs');
    settle.delayMs = frame.readUInt32BE(position);
    position += 4;
  } else if (kind === 'reject') {
    need(frame, position + 2, 'reason');
    const length = frame.readUInt16BE(position);
    if (length > bounds.reasonBytesMax) throw new SessionFrameError(`reason of ${length} bytes (at most ${bounds.reasonBytesMax})`, 'reason');
    need(frame, position + 2 + length, 'reason');
    settle.reason = frame.toString('utf8', position + 2, position + 2 + length);
    position += 2 + length;
  }
  need(frame, position + 4, 'count');
  const count = frame.readUInt32BE(position);
  position += 4;
  if (count === 0 || count > bounds.receiptsPerFrameMax) throw new SessionFrameError(`${count} receipts in one frame (1 to ${bounds.receiptsPerFrameMax})`, 'count');
  if (frame.length !== position + count * RECEIPT_BYTES) throw new SessionFrameError(`${count} receipts take ${count * RECEIPT_BYTES} bytes, the frame has ${frame.length - position} after its head`, 'receipts');
  settle.receipts = new Array(count);
  for (let i = 0; i < count; i++, position += RECEIPT_BYTES) {
    const offset = frame.readDoubleBE(position + 4);
    // Not a safe offset: no message has it, the queue refuses it as unknown (its index says which).
    settle.receipts[i] = { partition: frame.readUInt32BE(position), offset: Number.isSafeInteger(offset) && offset >= 0 ? offset : -1, deliveryCount: frame.readUInt32BE(position + 12), nonce: nonceAt(frame, position + 16) };
  }
  return settle;
}

// ---- broker → client -------------------------------------------------------------------------

export function encodeMessagesFrame(messages: readonly QueueWireMessage[]): Buffer {
  return encodeQueueMessages(messages, SessionFrame.messages);
}

function textField(text: string, lengthBytes: 1 | 2, max: number): Buffer {
  let bytes = Buffer.from(text, 'utf8');
  if (bytes.length > max) bytes = bytes.subarray(0, max);
  const field = Buffer.allocUnsafe(lengthBytes + bytes.length);
  if (lengthBytes === 1) field.writeUInt8(bytes.length, 0);
  else field.writeUInt16BE(bytes.length, 0);
  bytes.copy(field, lengthBytes);
  return field;
}

/** Error messages are cut to this many bytes on the wire (a uint16 length, and nobody reads more). */
const MESSAGE_BYTES_MAX = 4096;

export function encodeSettled(id: number, failures: readonly SessionFailure[]): Buffer {
  const head = Buffer.allocUnsafe(9);
  head.writeUInt8(SessionFrame.settled, 0);
  head.writeUInt32BE(id, 1);
  head.writeUInt32BE(failures.length, 5);
  if (failures.length === 0) return head;
  const parts: Buffer[] = [head];
  for (const failure of failures) {
    const index = Buffer.allocUnsafe(4);
    index.writeUInt32BE(failure.index, 0);
    parts.push(index, textField(failure.code, 1, 255), textField(failure.message, 2, MESSAGE_BYTES_MAX));
  }
  return Buffer.concat(parts);
}

export function encodeErrorFrame(code: string, message: string): Buffer {
  return Buffer.concat([Buffer.from([SessionFrame.error]), textField(code, 1, 255), textField(message, 2, MESSAGE_BYTES_MAX)]);
}

function corrupt(message: string): StorageError {
  return new StorageError('SPOOL_ERR_CORRUPT_ANSWER', `queue session frame: ${message}`);
}

function readText(frame: Buffer, position: number, lengthBytes: 1 | 2, what: string): [string, number] {
  if (position + lengthBytes > frame.length) throw corrupt(`${what} length runs past the end`);
  const length = lengthBytes === 1 ? frame.readUInt8(position) : frame.readUInt16BE(position);
  const end = position + lengthBytes + length;
  if (end > frame.length) throw corrupt(`${what} runs past the end`);
  return [frame.toString('utf8', position + lengthBytes, end), end];
}

/** Decodes a broker frame; throws SPOOL_ERR_CORRUPT_ANSWER for one that does not decode whole. */
export function decodeBrokerFrame(frame: Buffer): BrokerFrame {
  if (frame.length < 1) throw corrupt('empty frame');
  const type = frame.readUInt8(0);
  if (type === SessionFrame.messages) return { type: 'messages', messages: decodeQueueMessages(frame.subarray(1)) };
  if (type === SessionFrame.error) {
    const [code, afterCode] = readText(frame, 1, 1, 'error code');
    const [message, end] = readText(frame, afterCode, 2, 'error message');
    if (end !== frame.length) throw corrupt(`${frame.length - end} bytes after the error`);
    return { type: 'error', code, message };
  }
  if (type !== SessionFrame.settled) throw corrupt(`unknown frame type 0x${type.toString(16)}`);
  if (frame.length < 9) throw corrupt(`a SETTLED frame of ${frame.length} bytes`);
  const id = frame.readUInt32BE(1);
  const count = frame.readUInt32BE(5);
  // Each failure takes at least 7 bytes: a forged count cannot make us allocate for it.
  if (count > (frame.length - 9) / 7) throw corrupt(`${count} failures cannot fit in ${frame.length} bytes`);
  const failures: SessionFailure[] = [];
  let position = 9;
  for (let i = 0; i < count; i++) {
    if (position + 4 > frame.length) throw corrupt(`failure ${i} runs past the end`);
    const index = frame.readUInt32BE(position);
    const [code, afterCode] = readText(frame, position + 4, 1, 'failure code');
    const [message, end] = readText(frame, afterCode, 2, 'failure message');
    failures.push({ index, code, message });
    position = end;
  }
  if (position !== frame.length) throw corrupt(`${frame.length - position} bytes after ${count} failures`);
  return { type: 'settled', id, failures };
}
