/**
 * Durable consumer-group offsets in SQLite. A commit is one transaction, so a crash never leaves
 * half of a multi-partition commit. Groups are remembered even when all members are gone (durable
 * subscribers) until deleted.
 *
 * The committed offset is the offset of the next record to consume (Kafka's convention).
 */
import type Database from 'better-sqlite3';

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: number;
  metadata: string | null;
  committedAtMs: number;
}

export interface GroupRecord {
  name: string;
  offsetReset: 'earliest' | 'latest';
  createdAtMs: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS consumer_groups (
  name TEXT PRIMARY KEY,
  offset_reset TEXT NOT NULL DEFAULT 'latest',
  created_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS group_offsets (
  group_name TEXT NOT NULL REFERENCES consumer_groups(name) ON DELETE CASCADE,
  topic TEXT NOT NULL,
  partition INTEGER NOT NULL,
  offset INTEGER NOT NULL,
  metadata TEXT,
  committed_at_ms INTEGER NOT NULL,
  PRIMARY KEY (group_name, topic, partition)
);
`;

interface OffsetRow {
  topic: string;
  partition: number;
  offset: number;
  metadata: string | null;
  committed_at_ms: number;
}

export class OffsetStore {
  private readonly upsertGroup;
  private readonly upsertOffset;
  private readonly selectOffsets;
  private readonly selectGroups;
  private readonly selectGroup;
  private readonly deleteGroupRow;
  private readonly deleteTopicRows;
  private readonly commitMany;
  private readonly commitQueued;
  private readonly countGroups;
  private readonly selectIdleGroups;
  private queued: Array<{ group: string; offsets: Array<Omit<CommittedOffset, 'committedAtMs'>>; resolve: () => void; reject: (error: unknown) => void }> = [];

  constructor(private readonly db: Database.Database) {
    db.exec(SCHEMA);
    // Added after the first release: a data directory from before has no such column yet.
    const columns = db.prepare<[], { name: string }>('PRAGMA table_info(consumer_groups)').all();
    if (!columns.some((column) => column.name === 'active_at_ms')) db.exec('ALTER TABLE consumer_groups ADD COLUMN active_at_ms INTEGER');
    // A join or a commit: the group is in use (its retention clock starts again).
    this.upsertGroup = db.prepare(
      `INSERT INTO consumer_groups (name, offset_reset, created_at_ms, active_at_ms) VALUES (@name, @offsetReset, @nowMs, @nowMs)
       ON CONFLICT(name) DO UPDATE SET active_at_ms = excluded.active_at_ms`,
    );
    this.countGroups = db.prepare<[], { count: number }>('SELECT COUNT(*) AS count FROM consumer_groups');
    this.selectIdleGroups = db.prepare<[number], { name: string }>('SELECT name FROM consumer_groups WHERE COALESCE(active_at_ms, created_at_ms) < ? ORDER BY name');
    this.upsertOffset = db.prepare(
      `INSERT INTO group_offsets (group_name, topic, partition, offset, metadata, committed_at_ms) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(group_name, topic, partition) DO UPDATE SET offset = excluded.offset, metadata = excluded.metadata,
       committed_at_ms = excluded.committed_at_ms`,
    );
    this.selectOffsets = db.prepare<[string], OffsetRow>(
      'SELECT topic, partition, offset, metadata, committed_at_ms FROM group_offsets WHERE group_name = ? ORDER BY topic, partition',
    );
    this.selectGroups = db.prepare<[], { name: string; offset_reset: string; created_at_ms: number }>(
      'SELECT name, offset_reset, created_at_ms FROM consumer_groups ORDER BY name',
    );
    this.selectGroup = db.prepare<[string], { name: string; offset_reset: string; created_at_ms: number }>(
      'SELECT name, offset_reset, created_at_ms FROM consumer_groups WHERE name = ?',
    );
    this.deleteGroupRow = db.prepare('DELETE FROM consumer_groups WHERE name = ?');
    this.deleteTopicRows = db.prepare('DELETE FROM group_offsets WHERE topic = ?');
    this.commitMany = db.transaction((group: string, offsets: Array<Omit<CommittedOffset, 'committedAtMs'>>, now: number) => {
      this.upsertGroup.run({ name: group, offsetReset: 'latest', nowMs: now });
      for (const entry of offsets) this.upsertOffset.run(group, entry.topic, entry.partition, entry.offset, entry.metadata, now);
    });
    this.commitQueued = db.transaction((batch: Array<{ group: string; offsets: Array<Omit<CommittedOffset, 'committedAtMs'>> }>, now: number) => {
      for (const { group, offsets } of batch) {
        this.upsertGroup.run({ name: group, offsetReset: 'latest', nowMs: now });
        for (const entry of offsets) this.upsertOffset.run(group, entry.topic, entry.partition, entry.offset, entry.metadata, now);
      }
    });
  }

  /** Remembers a group (on its first join), with where partitions without a commit start; marks it in use. */
  ensureGroup(group: string, offsetReset: 'earliest' | 'latest'): void {
    this.upsertGroup.run({ name: group, offsetReset, nowMs: Date.now() });
  }

  count(): number {
    return this.countGroups.get()!.count;
  }

  /** Groups without a join or commit since `beforeMs`. */
  idleSince(beforeMs: number): string[] {
    return this.selectIdleGroups.all(beforeMs).map((row) => row.name);
  }

  commit(group: string, offsets: Array<Omit<CommittedOffset, 'committedAtMs'>>): void {
    this.commitMany(group, offsets, Date.now());
  }

  /**
   * Group commit for offsets: commits arriving in the same turn of the event loop share one SQLite
   * transaction, and so one WAL fsync with synchronous=FULL. Each caller is answered only after
   * that transaction committed. Thousands of groups committing at once cost one fsync per turn,
   * not one per commit.
   */
  commitBatched(group: string, offsets: Array<Omit<CommittedOffset, 'committedAtMs'>>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queued.push({ group, offsets, resolve, reject });
      if (this.queued.length === 1) setImmediate(() => this.flushQueued());
    });
  }

  private flushQueued(): void {
    const batch = this.queued;
    this.queued = [];
    try {
      this.commitQueued(batch, Date.now());
      for (const entry of batch) entry.resolve();
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }

  offsets(group: string): CommittedOffset[] {
    return this.selectOffsets.all(group).map((row) => ({
      topic: row.topic,
      partition: row.partition,
      offset: row.offset,
      metadata: row.metadata,
      committedAtMs: row.committed_at_ms,
    }));
  }

  groups(): GroupRecord[] {
    return this.selectGroups.all().map((row) => ({ name: row.name, offsetReset: row.offset_reset as GroupRecord['offsetReset'], createdAtMs: row.created_at_ms }));
  }

  group(name: string): GroupRecord | null {
    const row = this.selectGroup.get(name);
    return row ? { name: row.name, offsetReset: row.offset_reset as GroupRecord['offsetReset'], createdAtMs: row.created_at_ms } : null;
  }

  deleteGroup(group: string): boolean {
    this.db.prepare('DELETE FROM group_offsets WHERE group_name = ?').run(group);
    return this.deleteGroupRow.run(group).changes > 0;
  }

  /** Every group and its offsets, in one transaction (one fsync, where a delete per group paid one each). */
  deleteAllGroups(): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM group_offsets').run();
      this.db.prepare('DELETE FROM consumer_groups').run();
    })();
  }

  /** Forgets some partitions' committed offsets (Kafka's OffsetDelete), in one transaction. */
  deleteOffsets(group: string, partitions: Array<{ topic: string; partition: number }>): void {
    const remove = this.db.prepare('DELETE FROM group_offsets WHERE group_name = ? AND topic = ? AND partition = ?');
    this.db.transaction(() => {
      for (const { topic, partition } of partitions) remove.run(group, topic, partition);
    })();
  }

  /** A deleted topic's offsets go with it (a topic re-created later starts from its own offsets). */
  forgetTopic(topic: string): void {
    this.deleteTopicRows.run(topic);
  }
}
