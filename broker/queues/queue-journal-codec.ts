/**
 * One entry of a queue's settlement journal (queue-store.ts): the message states and acknowledged
 * points of one event-loop turn, packed into one SQLite BLOB. Fixed-size entries, all integers
 * big-endian; offsets are float64 because they are JS numbers (exact up to 2^53, as everywhere in
 * Spool), counts uint32.
 *
 *   message state (18 bytes)              partition point (21 bytes)
 *   | off | size | field          |       | off | size | field          |
 *   | 0   | 1    | kind = 0       |       | 0   | 1    | kind = 1       |
 *   | 1   | 4    | partition      |       | 1   | 4    | partition      |
 *   | 5   | 8    | offset         |       | 5   | 8    | ackedThrough   |
 *   | 13  | 1    | state (0 delivered, 1 acked, 2 dead) | 13 | 8 | deadLettered |
 *   | 14  | 4    | deliveryCount  |
 *
 * A pure codec: no I/O. A BLOB that does not decode whole is an error, never a shorter journal
 * (SQLite commits a row entirely or not at all, so a partial one means corruption).
 */
import { BrokerError } from '../errors.js';
import type { StoredMessageState, StoredPartition } from './queue-store.js';

const MESSAGE_KIND = 0;
const PARTITION_KIND = 1;
const MESSAGE_BYTES = 18;
const PARTITION_BYTES = 21;
/** Neither a bad request nor retriable: spool.db holds something Spool never wrote (or a bug wrote it). */
function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new BrokerError('SPOOL_ERR_INTERNAL', `queue journal in spool.db: ${message}`);
}

const STATES = ['delivered', 'acked', 'dead'] as const satisfies ReadonlyArray<StoredMessageState['state']>;

export interface JournalEntry {
  messages: StoredMessageState[];
  partitions: StoredPartition[];
}

export function encodeJournalEntry(entry: JournalEntry): Buffer {
  const buffer = Buffer.allocUnsafe(entry.messages.length * MESSAGE_BYTES + entry.partitions.length * PARTITION_BYTES);
  let position = 0;
  for (const message of entry.messages) {
    assert(Number.isSafeInteger(message.offset) && message.offset >= 0, `offset ${message.offset} is not a safe non-negative integer`);
    buffer.writeUInt8(MESSAGE_KIND, position);
    buffer.writeUInt32BE(message.partition, position + 1);
    buffer.writeDoubleBE(message.offset, position + 5);
    buffer.writeUInt8(STATES.indexOf(message.state), position + 13);
    buffer.writeUInt32BE(message.deliveryCount, position + 14);
    position += MESSAGE_BYTES;
  }
  for (const partition of entry.partitions) {
    assert(Number.isSafeInteger(partition.ackedThrough) && partition.ackedThrough >= 0, `ackedThrough ${partition.ackedThrough} is not a safe non-negative integer`);
    buffer.writeUInt8(PARTITION_KIND, position);
    buffer.writeUInt32BE(partition.partition, position + 1);
    buffer.writeDoubleBE(partition.ackedThrough, position + 5);
    buffer.writeDoubleBE(partition.deadLettered, position + 13);
    position += PARTITION_BYTES;
  }
  return buffer;
}

export function decodeJournalEntry(buffer: Uint8Array): JournalEntry {
  const view = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const entry: JournalEntry = { messages: [], partitions: [] };
  let position = 0;
  while (position < view.length) {
    const kind = view.readUInt8(position);
    const size = kind === MESSAGE_KIND ? MESSAGE_BYTES : PARTITION_BYTES;
    assert(kind === MESSAGE_KIND || kind === PARTITION_KIND, `unknown entry kind ${kind} at byte ${position}`);
    assert(position + size <= view.length, `entry at byte ${position} runs past the end (${view.length} bytes)`);
    const partition = view.readUInt32BE(position + 1);
    const offset = view.readDoubleBE(position + 5);
    assert(Number.isSafeInteger(offset) && offset >= 0, `offset ${offset} at byte ${position} is not a safe non-negative integer`);
    if (kind === MESSAGE_KIND) {
      const state = STATES[view.readUInt8(position + 13)];
      assert(state !== undefined, `unknown message state at byte ${position + 13}`);
      entry.messages.push({ partition, offset, state, deliveryCount: view.readUInt32BE(position + 14) });
    } else {
      entry.partitions.push({ partition, ackedThrough: offset, deadLettered: view.readDoubleBE(position + 13) });
    }
    position += size;
  }
  return entry;
}
