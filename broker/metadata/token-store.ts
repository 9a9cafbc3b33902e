/**
 * API tokens in spool.db. A token is `spool_<id>_<secret>`: the id (16 hex digits) finds the row,
 * the secret (32 random bytes, base64url) is shown once at creation and only its SHA-256 is kept.
 * A plain hash suffices where a password needs PBKDF2: the secret has 256 random bits, so there is
 * no dictionary to try. The hash is compared in constant time.
 */
import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { constantTimeEqual } from '../security/scram.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS api_tokens (
  id TEXT PRIMARY KEY,
  principal TEXT NOT NULL,
  secret_sha256 BLOB NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER
);
`;

const TOKEN = /^spool_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface TokenInfo {
  id: string;
  /** The user name the token authenticates as (principal User:<name>). */
  user: string;
  description: string;
  createdAt: string;
  expiresAt: string | null;
}

interface TokenRow {
  id: string;
  principal: string;
  secret_sha256: Buffer;
  description: string;
  created_at_ms: number;
  expires_at_ms: number | null;
}

function secretHash(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

function info(row: TokenRow): TokenInfo {
  return {
    id: row.id,
    user: row.principal,
    description: row.description,
    createdAt: new Date(row.created_at_ms).toISOString(),
    expiresAt: row.expires_at_ms === null ? null : new Date(row.expires_at_ms).toISOString(),
  };
}

export class TokenStore {
  private readonly db: Database.Database;
  private readonly byId: Database.Statement<[string], TokenRow>;
  private readonly countTokens: Database.Statement<[], { count: number }>;

  constructor(db: Database.Database) {
    this.db = db;
    db.exec(SCHEMA);
    this.byId = db.prepare('SELECT * FROM api_tokens WHERE id = ?');
    this.countTokens = db.prepare('SELECT COUNT(*) AS count FROM api_tokens');
  }

  /** Creates a token for `user`; the answer's `token` is the only time the secret is seen. */
  create(user: string, options: { description?: string; expiresAtMs?: number | null } = {}): TokenInfo & { token: string } {
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const row: TokenRow = { id, principal: user, secret_sha256: secretHash(secret), description: options.description ?? '', created_at_ms: Date.now(), expires_at_ms: options.expiresAtMs ?? null };
    this.db.prepare('INSERT INTO api_tokens (id, principal, secret_sha256, description, created_at_ms, expires_at_ms) VALUES (@id, @principal, @secret_sha256, @description, @created_at_ms, @expires_at_ms)').run(row);
    return { ...info(row), token: `spool_${id}_${secret}` };
  }

  /** The user a token authenticates as, or null: malformed, unknown, wrong secret or expired. */
  verify(token: string, nowMs = Date.now()): string | null {
    const match = TOKEN.exec(token);
    if (!match) return null;
    const row = this.byId.get(match[1]!);
    // An unknown id still hashes the secret, so a miss takes as long as a wrong secret.
    const presented = secretHash(match[2]!);
    if (!row) return null;
    if (!constantTimeEqual(presented, row.secret_sha256)) return null;
    if (row.expires_at_ms !== null && row.expires_at_ms <= nowMs) return null;
    return row.principal;
  }

  /** Whether the token `id` exists and has not expired (a session made from it lives that long). */
  isLive(id: string, nowMs = Date.now()): boolean {
    const row = this.byId.get(id);
    return row !== undefined && (row.expires_at_ms === null || row.expires_at_ms > nowMs);
  }

  /** The id part of a token, or null when it is not one. */
  static idOf(token: string): string | null {
    return TOKEN.exec(token)?.[1] ?? null;
  }

  revoke(id: string): boolean {
    return this.db.prepare('DELETE FROM api_tokens WHERE id = ?').run(id).changes === 1;
  }

  list(): TokenInfo[] {
    return (this.db.prepare('SELECT * FROM api_tokens ORDER BY created_at_ms, id').all() as TokenRow[]).map(info);
  }

  count(): number {
    return this.countTokens.get()!.count;
  }
}
