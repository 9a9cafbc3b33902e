/**
 * Durable queue state in SQLite: each queue's config, per partition the acknowledged-through
 * offset (everything below is settled), and per message above it what must survive a restart:
 * delivery counts of messages handed out (so maxDeliveries holds across restarts) and messages
 * settled out of order (acked or dead-lettered). Rows below the acknowledged point are deleted as
 * it advances, so the table stays as small as the window of unsettled messages.
 */
import type Database from 'better-sqlite3';

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
CREATE TABLE IF NOT EXISTS queue_redrive (
  topic TEXT NOT NULL,
  name TEXT NOT NULL,
  dead_letter_partition INTEGER NOT NULL,
  next_offset INTEGER NOT NULL,
  PRIMARY KEY (topic, name, dead_letter_partition)
);
`;

export class QueueStore {
  private readonly statements;

  constructor(private readonly db: Database.Database) {
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
      deleteQueue: [
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

  load(topic: string, name: string): { partitions: StoredPartition[]; messages: StoredMessageState[] } {
    return {
      partitions: this.statements.partitions.all(topic, name).map((row) => ({ partition: row.partition, ackedThrough: row.acked_through, deadLettered: row.dead_lettered })),
      messages: this.statements.messages.all(topic, name).map((row) => ({
        partition: row.partition,
        offset: row.offset,
        state: row.state as StoredMessageState['state'],
        deliveryCount: row.delivery_count,
      })),
    };
  }

  /** One transaction: message states, then partitions whose acknowledged point moved. */
  save(topic: string, name: string, messages: StoredMessageState[], partitions: StoredPartition[]): void {
    if (messages.length === 0 && partitions.length === 0) return;
    this.db.transaction(() => {
      for (const message of messages) this.statements.upsertMessage.run(topic, name, message.partition, message.offset, message.state, message.deliveryCount);
      for (const partition of partitions) {
        this.statements.upsertPartition.run(topic, name, partition.partition, partition.ackedThrough, partition.deadLettered);
        this.statements.pruneMessages.run(topic, name, partition.partition, partition.ackedThrough);
      }
    })();
  }

  delete(topic: string, name: string): void {
    this.db.transaction(() => {
      for (const statement of this.statements.deleteQueue) statement.run(topic, name);
    })();
  }
}
