/**
 * Browser sessions: EventSource cannot send an Authorization header, and a token in a URL ends up
 * in histories and proxy logs, so the console trades its token for a session (POST /v1/session)
 * held in an HttpOnly, SameSite=Strict cookie. The session id is 32 random bytes; sessions live in
 * memory only (a restart logs browsers out), bounded in number and lifetime, and each remembers the
 * token it came from: revoking the token ends its sessions.
 */
import { randomBytes } from 'node:crypto';
import type { BrokerLimits } from '../limits.js';

export const SESSION_COOKIE = 'spool_session';

interface Session {
  user: string;
  tokenId: string;
  expiresAtMs: number;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly limits: Pick<BrokerLimits, 'sessionTtlMs' | 'sessionsMax'>, private readonly now: () => number = Date.now) {}

  create(user: string, tokenId: string): { id: string; maxAgeSeconds: number } {
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, { user, tokenId, expiresAtMs: this.now() + this.limits.sessionTtlMs });
    // Past the bound the oldest session ends (its browser asks for the token again).
    if (this.sessions.size > this.limits.sessionsMax) this.sessions.delete(this.sessions.keys().next().value!);
    return { id, maxAgeSeconds: Math.floor(this.limits.sessionTtlMs / 1000) };
  }

  /** The session's user and token id, or null when unknown or expired. */
  get(id: string): Session | null {
    const session = this.sessions.get(id);
    if (!session) return null;
    if (session.expiresAtMs <= this.now()) {
      this.sessions.delete(id);
      return null;
    }
    return session;
  }

  end(id: string): void {
    this.sessions.delete(id);
  }
}

/** The session cookie's value in a Cookie header, or null. */
export function sessionCookie(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === SESSION_COOKIE) return part.slice(at + 1).trim();
  }
  return null;
}

export function sessionSetCookie(id: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}
