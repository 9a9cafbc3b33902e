/**
 * Users and their SCRAM credentials in spool.db (never a password: broker/security/scram.ts says
 * what is kept). One row per user and one per (user, mechanism), as Kafka keeps a credential per
 * SCRAM mechanism; both are written in one transaction, so a user always has both mechanisms.
 */
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { SCRAM_MECHANISMS, type ScramCredential, type ScramMechanism } from '../security/scram.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY,
  created_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS scram_credentials (
  user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
  mechanism TEXT NOT NULL,
  salt BLOB NOT NULL,
  iterations INTEGER NOT NULL,
  stored_key BLOB NOT NULL,
  server_key BLOB NOT NULL,
  PRIMARY KEY (user, mechanism)
);
CREATE TABLE IF NOT EXISTS scram_decoy_secret (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  secret BLOB NOT NULL
);
`;

export interface UserInfo {
  name: string;
  createdAt: string;
  mechanisms: ScramMechanism[];
}

interface CredentialRow {
  mechanism: ScramMechanism;
  salt: Buffer;
  iterations: number;
  stored_key: Buffer;
  server_key: Buffer;
}

export class UserStore {
  private readonly db: Database.Database;
  private readonly credentialOf: Database.Statement<[string, string], CredentialRow>;
  private readonly countUsers: Database.Statement<[], { count: number }>;
  private readonly usualIterationsOf: Database.Statement<[string], { iterations: number }>;
  private decoySecretCached: Buffer | undefined;

  constructor(db: Database.Database) {
    this.db = db;
    db.exec(SCHEMA);
    this.credentialOf = db.prepare('SELECT mechanism, salt, iterations, stored_key, server_key FROM scram_credentials WHERE user = ? AND mechanism = ?');
    this.countUsers = db.prepare('SELECT COUNT(*) AS count FROM users');
    this.usualIterationsOf = db.prepare('SELECT iterations FROM scram_credentials WHERE mechanism = ? GROUP BY iterations ORDER BY COUNT(*) DESC, iterations DESC LIMIT 1');
  }

  /** Adds a user, or replaces its credentials (a password change); answers whether it was new. */
  put(name: string, credentials: readonly ScramCredential[]): boolean {
    return this.db.transaction(() => {
      const created = this.db.prepare('INSERT OR IGNORE INTO users (name, created_at_ms) VALUES (?, ?)').run(name, Date.now()).changes === 1;
      const upsert = this.db.prepare('INSERT OR REPLACE INTO scram_credentials (user, mechanism, salt, iterations, stored_key, server_key) VALUES (?, ?, ?, ?, ?, ?)');
      for (const c of credentials) upsert.run(name, c.mechanism, c.salt, c.iterations, c.storedKey, c.serverKey);
      return created;
    })();
  }

  /** Removes a user with its credentials; answers whether it existed. */
  remove(name: string): boolean {
    return this.db.prepare('DELETE FROM users WHERE name = ?').run(name).changes === 1;
  }

  /**
   * A random secret drawn once per data directory: the key of the salts made up for unknown users
   * (security/sasl.ts), so no one without spool.db can tell a made-up salt from a real one.
   */
  decoySecret(): Buffer {
    this.decoySecretCached ??= this.db.transaction(() => {
      this.db.prepare('INSERT OR IGNORE INTO scram_decoy_secret (id, secret) VALUES (1, ?)').run(randomBytes(32));
      return (this.db.prepare('SELECT secret FROM scram_decoy_secret WHERE id = 1').get() as { secret: Buffer }).secret;
    })();
    return this.decoySecretCached;
  }

  /** The iteration count most users have for `mechanism` (null with no users): what an unknown user is offered. */
  usualIterations(mechanism: ScramMechanism): number | null {
    const row = this.usualIterationsOf.get(mechanism);
    return row ? row.iterations : null;
  }

  credential(name: string, mechanism: ScramMechanism): ScramCredential | null {
    const row = this.credentialOf.get(name, mechanism);
    return row ? { mechanism: row.mechanism, salt: row.salt, iterations: row.iterations, storedKey: row.stored_key, serverKey: row.server_key } : null;
  }

  list(): UserInfo[] {
    const rows = this.db.prepare<[], { name: string; created_at_ms: number; mechanisms: string | null }>(
      'SELECT u.name, u.created_at_ms, group_concat(c.mechanism) AS mechanisms FROM users u LEFT JOIN scram_credentials c ON c.user = u.name GROUP BY u.name ORDER BY u.name',
    ).all();
    return rows.map((row) => ({
      name: row.name,
      createdAt: new Date(row.created_at_ms).toISOString(),
      mechanisms: (row.mechanisms ?? '').split(',').filter((m): m is ScramMechanism => (SCRAM_MECHANISMS as readonly string[]).includes(m)).sort(),
    }));
  }

  count(): number {
    return this.countUsers.get()!.count;
  }
}
