/**
 * The broker's metadata database: `<data>/spool.db`, SQLite through better-sqlite3, in WAL mode.
 * With flush=always it runs synchronous=FULL (a committed transaction survives power loss, like an
 * acknowledged record); otherwise NORMAL (WAL stays consistent, the last commits may roll back).
 * Each store creates its own tables (CREATE TABLE IF NOT EXISTS), versioned by user_version.
 */
import Database from 'better-sqlite3';

export function openDatabase(path: string, durable: boolean): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${durable ? 'FULL' : 'NORMAL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}
