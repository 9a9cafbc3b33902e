/**
 * Topics in SQLite: name, partition count, config overrides, and a state that makes creation
 * atomic from a user's point of view. A topic is inserted as 'creating', its folders are created,
 * then it becomes 'ready'; on start-up, 'creating' rows (a crash half-way) are rolled back with
 * their folders, so a crash leaves either no topic or a whole one. Each topic names the principal
 * that created it (null for topics older than the column): its partitions count against that
 * principal's quotaPartitionsPerPrincipal.
 */
import type Database from 'better-sqlite3';
import type { LogConfig } from '../../storage/index.js';

export interface TopicRecord {
  name: string;
  partitions: number;
  config: Partial<LogConfig>;
  state: 'creating' | 'ready';
  createdAtMs: number;
  /** The principal that created it; null when created before topics named one. */
  createdBy: string | null;
}

interface TopicRow {
  name: string;
  partitions: number;
  config: string;
  state: string;
  created_at_ms: number;
  created_by: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS topics (
  name TEXT PRIMARY KEY,
  partitions INTEGER NOT NULL,
  config TEXT NOT NULL DEFAULT '{}',
  state TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
);
-- Log start offsets moved by DeleteRecords (Kafka's log-start-offset checkpoint), re-applied at start.
CREATE TABLE IF NOT EXISTS partition_log_starts (
  topic TEXT NOT NULL,
  partition INTEGER NOT NULL,
  log_start_offset INTEGER NOT NULL,
  PRIMARY KEY (topic, partition)
);
`;

function toRecord(row: TopicRow): TopicRecord {
  return {
    name: row.name,
    partitions: row.partitions,
    config: JSON.parse(row.config) as Partial<LogConfig>,
    state: row.state as TopicRecord['state'],
    createdAtMs: row.created_at_ms,
    createdBy: row.created_by,
  };
}

export class TopicStore {
  private readonly insert;
  private readonly selectAll;
  private readonly selectOne;
  private readonly setState;
  private readonly setConfig;
  private readonly remove;
  private readonly setPartitionCount;
  private readonly upsertLogStart;
  private readonly selectLogStarts;
  private readonly removeLogStarts;

  constructor(db: Database.Database) {
    db.exec(SCHEMA);
    const columns = db.prepare('PRAGMA table_info(topics)').all() as Array<{ name: string }>;
    if (!columns.some((column) => column.name === 'created_by')) db.exec('ALTER TABLE topics ADD COLUMN created_by TEXT');
    this.insert = db.prepare('INSERT INTO topics (name, partitions, config, state, created_at_ms, created_by) VALUES (?, ?, ?, ?, ?, ?)');
    this.selectAll = db.prepare<[], TopicRow>('SELECT * FROM topics ORDER BY name');
    this.selectOne = db.prepare<[string], TopicRow>('SELECT * FROM topics WHERE name = ?');
    this.setState = db.prepare('UPDATE topics SET state = ? WHERE name = ?');
    this.setConfig = db.prepare('UPDATE topics SET config = ? WHERE name = ?');
    this.remove = db.prepare('DELETE FROM topics WHERE name = ?');
    this.setPartitionCount = db.prepare('UPDATE topics SET partitions = ? WHERE name = ?');
    this.upsertLogStart = db.prepare(
      'INSERT INTO partition_log_starts (topic, partition, log_start_offset) VALUES (?, ?, ?) ON CONFLICT (topic, partition) DO UPDATE SET log_start_offset = excluded.log_start_offset',
    );
    this.selectLogStarts = db.prepare<[string], { partition: number; log_start_offset: number }>('SELECT partition, log_start_offset FROM partition_log_starts WHERE topic = ?');
    this.removeLogStarts = db.prepare('DELETE FROM partition_log_starts WHERE topic = ?');
  }

  /** Returns false when the name is taken. */
  insertCreating(name: string, partitions: number, config: Partial<LogConfig>, createdBy: string | null): boolean {
    try {
      this.insert.run(name, partitions, JSON.stringify(config), 'creating', Date.now(), createdBy);
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return false;
      throw error;
    }
  }

  markReady(name: string): void {
    this.setState.run('ready', name);
  }

  updateConfig(name: string, config: Partial<LogConfig>): void {
    this.setConfig.run(JSON.stringify(config), name);
  }

  delete(name: string): void {
    this.remove.run(name);
    this.removeLogStarts.run(name);
  }

  setPartitions(name: string, partitions: number): void {
    this.setPartitionCount.run(partitions, name);
  }

  setLogStart(name: string, partition: number, offset: number): void {
    this.upsertLogStart.run(name, partition, offset);
  }

  logStarts(name: string): Array<{ partition: number; offset: number }> {
    return this.selectLogStarts.all(name).map((row) => ({ partition: row.partition, offset: row.log_start_offset }));
  }

  all(): TopicRecord[] {
    return this.selectAll.all().map(toRecord);
  }

  get(name: string): TopicRecord | null {
    const row = this.selectOne.get(name);
    return row ? toRecord(row) : null;
  }
}
