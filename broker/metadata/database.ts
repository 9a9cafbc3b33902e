/**
 * The broker's metadata database: `<data>/spool.db`, SQLite through better-sqlite3, in WAL mode.
 * With flush=always it runs synchronous=FULL (a committed transaction survives power loss, like an
 * acknowledged record); otherwise NORMAL (WAL stays consistent, the last commits may roll back).
 * Each store creates its own tables (CREATE TABLE IF NOT EXISTS), versioned by user_version.
 *
 * Opening it also locks the data directory for the life of the process. Two brokers on one
 * directory both assigned the same offsets, and after a restart one side's records were gone; so
 * the database runs with `locking_mode=EXCLUSIVE` and takes its exclusive lock at once, before any
 * log file is touched. The lock is SQLite's POSIX advisory lock on spool.db: the kernel drops it
 * when the process ends however it ends, so a SIGKILLed broker never blocks its own restart, and
 * SQLite keeps it exclusive between two connections of one process too (an embedded broker and a
 * test). `<data>/owner.json` says who holds the lock; it is only ever read to name the holder in
 * the error, never trusted as the lock itself.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BrokerError } from '../errors.js';

export const DATABASE_FILE = 'spool.db';
const OWNER_FILE = 'owner.json';

export interface DataDirOwner {
  pid: number;
  hostname: string;
  startedAt: string;
  /** What the holder is: `spool serve`, `spool check --repair`, an embedded broker. */
  purpose: string;
}

function readOwner(dataDir: string): DataDirOwner | null {
  try {
    return JSON.parse(readFileSync(join(dataDir, OWNER_FILE), 'utf8')) as DataDirOwner;
  } catch {
    return null;
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

function lockedError(dataDir: string): BrokerError {
  const owner = readOwner(dataDir);
  const who = owner ? `${owner.purpose} (pid ${owner.pid} on ${owner.hostname}, since ${owner.startedAt})` : 'another process';
  return new BrokerError('SPOOL_ERR_DATA_DIR_LOCKED', `the data directory ${dataDir} is in use by ${who}: one broker per data directory`, {
    path: dataDir,
    ...(owner ? { owner } : {}),
  });
}

/**
 * Opens `<dataDir>/spool.db` holding the data directory's lock until the database is closed.
 * Throws SPOOL_ERR_DATA_DIR_LOCKED at once (no waiting) when another process or connection holds it.
 */
export function openDatabase(dataDir: string, durable: boolean, purpose = 'spool serve'): Database.Database {
  const db = new Database(join(dataDir, DATABASE_FILE), { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // Switching a fresh database to WAL rewrites its header, synced at SQLite's default
    // synchronous=FULL: 10-30 ms of every embedded broker's start on a new directory. Unsynced it
    // is safe: a header lost to a crash leaves the database in rollback mode, and every open
    // switches it again; on a database already in WAL the switch writes nothing. The real
    // synchronous level is set below, before anything is written.
    db.pragma('synchronous = OFF');
    db.pragma('journal_mode = WAL');
    // A write takes the exclusive lock now, rather than at the first metadata change.
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (error) {
    db.close();
    if (isBusy(error)) throw lockedError(dataDir);
    throw error;
  }
  db.pragma(`synchronous = ${durable ? 'FULL' : 'NORMAL'}`);
  db.pragma('foreign_keys = ON');
  const owner: DataDirOwner = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString(), purpose };
  const ownerPath = join(dataDir, OWNER_FILE);
  writeFileSync(`${ownerPath}.tmp`, `${JSON.stringify(owner)}\n`);
  renameSync(`${ownerPath}.tmp`, ownerPath);
  return db;
}

/** Whether a process holds the data directory (for `spool check` on a live directory). */
export function dataDirHolder(dataDir: string): { locked: false } | { locked: true; error: BrokerError } {
  let db: Database.Database;
  try {
    db = openDatabase(dataDir, false, 'spool check');
  } catch (error) {
    if (error instanceof BrokerError && error.code === 'SPOOL_ERR_DATA_DIR_LOCKED') return { locked: true, error };
    throw error;
  }
  db.close();
  return { locked: false };
}
