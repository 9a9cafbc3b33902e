/**
 * Durable queue state in SQLite: each queue's config, per partition the acknowledged-through
 * offset (everything below is settled), and per message above it what must survive a restart:
 * delivery counts of messages handed out (so maxDeliveries holds across restarts) and messages
 * settled out of order (acked or dead-lettered). Rows below the acknowledged point are deleted as
 * it advances, so the table stays as small as the window of unsettled messages.
 *
 * Leases and settlements go through a journal first (as Kafka's share groups keep their state in
 * an internal topic): `record()` gathers every change of one event-loop turn, and one transaction
 * appends them as one packed row per queue (queue-journal-codec.ts) to `queue_journal`, then
 * answers every caller. The per-message upserts it replaces were a B-tree write each, per lease and
 * per ack, and with flush=always an fsync per request; now a turn costs one row and one fsync
 * (group commit). Every `checkpointEntriesMax` journalled changes the queue's state is folded into
 * queue_messages/queue_partitions (a lease, its ack and the point moving past it cancel out) and
 * its journal rows deleted, in the same transaction; loading a queue replays the rows left on top.
 * A SIGKILL loses nothing answered: the answer waits for the commit (WAL write, synced with
 * flush=always).
 */
import type Database from 'better-sqlite3';
import { decodeJournalEntry, encodeJournalEntry, type JournalEntry } from './queue-journal-codec.js';

export interface QueueConfig {
  visibilityMs: number;
  maxDeliveries: number;
  deadLetterTopic: string;
  orderedByKey: boolean;
}

export type SettledState = 'acked' | 'dead';

export interface StoredMessageState {
  partition: number;
  offset: number;
  state: 'delivered' | SettledState;
  deliveryCount: number;
}

export interface StoredPartition {
  partition: number;
  ackedThrough: number;
  deadLettered: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS queues (
  topic TEXT NOT NULL,
  name TEXT NOT NULL,
  config TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  PRIMARY KEY (topic, name)
);
CREATE TABLE IF NOT EXISTS queue_partitions (
  topic TEXT NOT NULL,
  name TEXT NOT NULL,
  partition INTEGER NOT NULL,
  acked_through INTEGER NOT NULL,
  dead_lettered INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (topic, name, partition)
);
CREATE TABLE IF NOT EXISTS queue_messages (
  topic TEXT NOT NULL,
  name TEXT NOT NULL,
  partition INTEGER NOT NULL,
  offset INTEGER NOT NULL,
  state TEXT NOT NULL,
  delivery_count INTEGER NOT NULL,
  PRIMARY KEY (topic, name, partition, offset)
);
CREATE TABLE IF NOT EXISTS queue_journal (
  id INTEGER PRIMARY KEY,
  topic TEXT NOT NULL,
  name TEXT NOT NULL,
  entry BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS queue_journal_by_queue ON queue_journal (topic, name, id);
CREATE TABLE IF NOT EXISTS queue_redrive (
  topic TEXT NOT NULL,
  name TEXT NOT NULL,
  dead_letter_partition INTEGER NOT NULL,
  next_offset INTEGER NOT NULL,
  PRIMARY KEY (topic, name, dead_letter_partition)
);
`;

interface PendingChanges {
  topic: string;
  name: string;
  entry: JournalEntry;
  waiters: Array<{ resolve(): void; reject(error: unknown): void }>;
}

interface QueueImage {
  partitions: Map<number, StoredPartition>;
  /** Per partition, message states by offset. */
  messages: Map<number, Map<number, StoredMessageState>>;
}

/** What `save` does, done to an in-memory image: the same state whether replayed, kept or folded. */
function applyEntry(image: QueueImage, entry: JournalEntry): void {
  for (const message of entry.messages) messagesOf(image, message.partition).set(message.offset, message);
  for (const partition of entry.partitions) {
    const before = image.partitions.get(partition.partition)?.ackedThrough ?? 0;
    image.partitions.set(partition.partition, partition);
    pruneBelow(messagesOf(image, partition.partition), before, partition.ackedThrough);
  }
}

/**
 * Drops the states the acknowledged point moved past (from `from` to `to`), by offset when it
 * moved less than there are states: walking every state of the partition per journal row made a
 * fold of 50,000 changes 4% of a receive + ack run's CPU. A state recorded below the point later
 * may stay; loading ignores states below the point.
 */
function pruneBelow(messages: Map<number, StoredMessageState>, from: number, to: number): void {
  if (to - from > messages.size) {
    for (const offset of messages.keys()) if (offset < to) messages.delete(offset);
    return;
  }
  for (let offset = from; offset < to; offset++) messages.delete(offset);
}

function messagesOf(image: QueueImage, partition: number): Map<number, StoredMessageState> {
  let messages = image.messages.get(partition);
  if (!messages) image.messages.set(partition, (messages = new Map()));
  return messages;
}

function allMessages(image: QueueImage): StoredMessageState[] {
  return [...image.messages.values()].flatMap((messages) => [...messages.values()]);
}

export class QueueStore {
  private readonly statements;
  /** Changes of this turn, per queue, written together by the next flush. */
  private pending = new Map<string, PendingChanges>();
  /** Changes journalled per queue since its last fold (counted as written; loaded lazily). */
  private readonly journalled = new Map<string, number>();
  /**
   * Per queue loaded since start, its durable state (tables + journal), kept current at every
   * commit: a fold writes it instead of reading back and decoding the whole journal (two folds per
   * 50,000 messages received and acked took 10% of the broker's CPU). Dropped whenever it may
   * differ from the database (a direct save, a failed commit); the fold then reads the database.
   */
  private readonly images = new Map<string, QueueImage>();

  constructor(
    private readonly db: Database.Database,
    private readonly checkpointEntriesMax = 50_000,
  ) {
    db.exec(SCHEMA);
    this.statements = {
      upsertQueue: db.prepare('INSERT INTO queues (topic, name, config, created_at_ms) VALUES (?, ?, ?, ?) ON CONFLICT (topic, name) DO UPDATE SET config = excluded.config'),
      queue: db.prepare<[string, string], { config: string }>('SELECT config FROM queues WHERE topic = ? AND name = ?'),
      allQueues: db.prepare<[], { topic: string; name: string }>('SELECT topic, name FROM queues ORDER BY topic, name'),
      queuesOfTopic: db.prepare<[string], { name: string }>('SELECT name FROM queues WHERE topic = ? ORDER BY name'),
      partitions: db.prepare<[string, string], { partition: number; acked_through: number; dead_lettered: number }>('SELECT partition, acked_through, dead_lettered FROM queue_partitions WHERE topic = ? AND name = ?'),
      messages: db.prepare<[string, string], { partition: number; offset: number; state: string; delivery_count: number }>('SELECT partition, offset, state, delivery_count FROM queue_messages WHERE topic = ? AND name = ?'),
      upsertPartition: db.prepare('INSERT INTO queue_partitions (topic, name, partition, acked_through, dead_lettered) VALUES (?, ?, ?, ?, ?) ON CONFLICT (topic, name, partition) DO UPDATE SET acked_through = excluded.acked_through, dead_lettered = excluded.dead_lettered'),
      upsertMessage: db.prepare('INSERT INTO queue_messages (topic, name, partition, offset, state, delivery_count) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (topic, name, partition, offset) DO UPDATE SET state = excluded.state, delivery_count = excluded.delivery_count'),
      pruneMessages: db.prepare('DELETE FROM queue_messages WHERE topic = ? AND name = ? AND partition = ? AND offset < ?'),
      redriveCursors: db.prepare<[string, string], { dead_letter_partition: number; next_offset: number }>('SELECT dead_letter_partition, next_offset FROM queue_redrive WHERE topic = ? AND name = ?'),
      upsertRedriveCursor: db.prepare('INSERT INTO queue_redrive (topic, name, dead_letter_partition, next_offset) VALUES (?, ?, ?, ?) ON CONFLICT (topic, name, dead_letter_partition) DO UPDATE SET next_offset = excluded.next_offset'),
      appendJournal: db.prepare('INSERT INTO queue_journal (topic, name, entry) VALUES (?, ?, ?)'),
      journal: db.prepare<[string, string], { entry: Buffer }>('SELECT entry FROM queue_journal WHERE topic = ? AND name = ? ORDER BY id'),
      deleteJournal: db.prepare('DELETE FROM queue_journal WHERE topic = ? AND name = ?'),
      deleteMessages: db.prepare('DELETE FROM queue_messages WHERE topic = ? AND name = ?'),
      deleteQueue: [
        db.prepare('DELETE FROM queue_journal WHERE topic = ? AND name = ?'),
        db.prepare('DELETE FROM queue_redrive WHERE topic = ? AND name = ?'),
        db.prepare('DELETE FROM queues WHERE topic = ? AND name = ?'),
        db.prepare('DELETE FROM queue_partitions WHERE topic = ? AND name = ?'),
        db.prepare('DELETE FROM queue_messages WHERE topic = ? AND name = ?'),
      ],
    };
  }

  saveConfig(topic: string, name: string, config: QueueConfig): void {
    this.statements.upsertQueue.run(topic, name, JSON.stringify(config), Date.now());
  }

  config(topic: string, name: string): QueueConfig | null {
    const row = this.statements.queue.get(topic, name);
    return row ? (JSON.parse(row.config) as QueueConfig) : null;
  }

  all(): Array<{ topic: string; name: string }> {
    return this.statements.allQueues.all();
  }

  namesOf(topic: string): string[] {
    return this.statements.queuesOfTopic.all(topic).map((row) => row.name);
  }

  /** Per dead-letter partition, the next dead letter a redrive looks at (everything below was redriven or is not this queue's). */
  redriveCursors(topic: string, name: string): Map<number, number> {
    return new Map(this.statements.redriveCursors.all(topic, name).map((row) => [row.dead_letter_partition, row.next_offset]));
  }

  saveRedriveCursors(topic: string, name: string, cursors: ReadonlyMap<number, number>): void {
    this.db.transaction(() => {
      for (const [partition, offset] of cursors) this.statements.upsertRedriveCursor.run(topic, name, partition, offset);
    })();
  }

  /** The queue's state: its folded tables with the journal replayed on top. */
  load(topic: string, name: string): { partitions: StoredPartition[]; messages: StoredMessageState[] } {
    const image = this.image(topic, name);
    this.images.set(queueKey(topic, name), image);
    return { partitions: [...image.partitions.values()], messages: allMessages(image) };
  }

  private image(topic: string, name: string): QueueImage {
    const image: QueueImage = {
      partitions: new Map(this.statements.partitions.all(topic, name).map((row) => [row.partition, { partition: row.partition, ackedThrough: row.acked_through, deadLettered: row.dead_lettered }])),
      messages: new Map(),
    };
    for (const row of this.statements.messages.all(topic, name)) {
      messagesOf(image, row.partition).set(row.offset, { partition: row.partition, offset: row.offset, state: row.state as StoredMessageState['state'], deliveryCount: row.delivery_count });
    }
    let entries = 0;
    for (const { entry } of this.statements.journal.all(topic, name)) {
      const decoded = decodeJournalEntry(entry);
      applyEntry(image, decoded);
      entries += decoded.messages.length + decoded.partitions.length;
    }
    this.journalled.set(queueKey(topic, name), entries);
    return image;
  }

  /**
   * Journals message states and acknowledged points with the other changes of this turn; resolves
   * once they are committed (one transaction, one fsync with flush=always, for the whole turn).
   */
  record(topic: string, name: string, messages: StoredMessageState[], partitions: StoredPartition[]): Promise<void> {
    if (messages.length === 0 && partitions.length === 0) return Promise.resolve();
    const key = queueKey(topic, name);
    let changes = this.pending.get(key);
    if (!changes) {
      if (this.pending.size === 0) setImmediate(() => this.flush());
      this.pending.set(key, (changes = { topic, name, entry: { messages: [], partitions: [] }, waiters: [] }));
    }
    changes.entry.messages.push(...messages);
    changes.entry.partitions.push(...partitions);
    const waiters = changes.waiters;
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  }

  /** Writes this turn's journal now (also called before the database closes). */
  flush(): void {
    const batch = [...this.pending.values()];
    this.pending = new Map();
    if (batch.length === 0) return;
    try {
      this.db.transaction(() => {
        for (const { topic, name, entry } of batch) {
          this.statements.appendJournal.run(topic, name, encodeJournalEntry(entry));
          const key = queueKey(topic, name);
          const kept = this.images.get(key);
          if (kept) applyEntry(kept, entry);
          const entries = (this.journalled.get(key) ?? 0) + entry.messages.length + entry.partitions.length;
          this.journalled.set(key, entries);
          if (entries >= this.checkpointEntriesMax) this.fold(topic, name);
        }
      })();
    } catch (error) {
      // Rolled back: the counts above may run ahead, which only brings the next fold sooner; the
      // kept images may hold what was not written, so the next fold reads the database.
      for (const { topic, name } of batch) this.images.delete(queueKey(topic, name));
      for (const changes of batch) for (const waiter of changes.waiters) waiter.reject(error);
      return;
    }
    for (const changes of batch) for (const waiter of changes.waiters) waiter.resolve();
  }

  /** Rewrites the queue's tables from its state and empties its journal (inside the caller's transaction). */
  private fold(topic: string, name: string): void {
    const image = this.images.get(queueKey(topic, name)) ?? this.image(topic, name);
    this.statements.deleteMessages.run(topic, name);
    for (const message of allMessages(image)) this.statements.upsertMessage.run(topic, name, message.partition, message.offset, message.state, message.deliveryCount);
    for (const partition of image.partitions.values()) this.statements.upsertPartition.run(topic, name, partition.partition, partition.ackedThrough, partition.deadLettered);
    this.statements.deleteJournal.run(topic, name);
    this.journalled.set(queueKey(topic, name), 0);
  }

  /** At once, in one transaction: message states, then partitions whose acknowledged point moved (a new queue's first state). */
  save(topic: string, name: string, messages: StoredMessageState[], partitions: StoredPartition[]): void {
    if (messages.length === 0 && partitions.length === 0) return;
    this.images.delete(queueKey(topic, name));
    this.db.transaction(() => {
      for (const message of messages) this.statements.upsertMessage.run(topic, name, message.partition, message.offset, message.state, message.deliveryCount);
      for (const partition of partitions) {
        this.statements.upsertPartition.run(topic, name, partition.partition, partition.ackedThrough, partition.deadLettered);
        this.statements.pruneMessages.run(topic, name, partition.partition, partition.ackedThrough);
      }
    })();
  }

  delete(topic: string, name: string): void {
    const key = queueKey(topic, name);
    // Changes not written yet would bring the deleted state back under a queue created again.
    for (const waiter of this.pending.get(key)?.waiters ?? []) waiter.resolve();
    this.pending.delete(key);
    this.journalled.delete(key);
    this.images.delete(key);
    this.db.transaction(() => {
      for (const statement of this.statements.deleteQueue) statement.run(topic, name);
    })();
  }
}

function queueKey(topic: string, name: string): string {
  return `${topic}\u0000${name}`;
}
