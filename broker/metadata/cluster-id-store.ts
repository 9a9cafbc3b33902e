/**
 * The cluster id: drawn once per data directory and kept in spool.db, so Kafka clients see the
 * same cluster across restarts (Kafka's meta.properties). 16 random bytes in URL-safe base64, as
 * Kafka's Uuid prints them.
 */
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';

export function loadClusterId(db: Database.Database): string {
  db.exec('CREATE TABLE IF NOT EXISTS cluster_identity (id INTEGER PRIMARY KEY CHECK (id = 1), cluster_id TEXT NOT NULL)');
  db.prepare('INSERT OR IGNORE INTO cluster_identity (id, cluster_id) VALUES (1, ?)').run(randomBytes(16).toString('base64url'));
  return (db.prepare('SELECT cluster_id FROM cluster_identity WHERE id = 1').get() as { cluster_id: string }).cluster_id;
}
