/**
 * Temporary topics in SQLite: which topics are temporary and their idle time. A table of its own
 * beside `topics`, so that a temporary topic stays temporary across restarts (and is still deleted
 * once idle) without changing the topics table. Rows whose topic is gone (a crash between the two
 * tables' writes) are dropped at start-up.
 */
import type Database from 'better-sqlite3';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS temporary_topics (
  name TEXT PRIMARY KEY,
  idle_ms INTEGER NOT NULL
);
`;

export class TemporaryTopicStore {
  private readonly insert;
  private readonly selectAll;
  private readonly remove;

  constructor(db: Database.Database) {
    db.exec(SCHEMA);
    this.insert = db.prepare('INSERT OR REPLACE INTO temporary_topics (name, idle_ms) VALUES (?, ?)');
    this.selectAll = db.prepare<[], { name: string; idle_ms: number }>('SELECT name, idle_ms FROM temporary_topics');
    this.remove = db.prepare('DELETE FROM temporary_topics WHERE name = ?');
  }

  add(name: string, idleMs: number): void {
    this.insert.run(name, idleMs);
  }

  delete(name: string): void {
    this.remove.run(name);
  }

  all(): Array<{ name: string; idleMs: number }> {
    return this.selectAll.all().map((row) => ({ name: row.name, idleMs: row.idle_ms }));
  }
}
