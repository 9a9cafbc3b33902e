/**
 * Who is asking: checks an HTTP request's credentials and answers its principal, or throws 401
 * SPOOL_ERR_UNAUTHENTICATED. Accepted, in this order:
 *
 *   Authorization: Bearer spool_<id>_<secret>     an API token
 *   Authorization: Basic base64(user:password)    a user's password, checked against its SCRAM keys
 *   Cookie: spool_session=<id>                     a browser session (sessions.ts); for a
 *                                                  state-changing method only from this origin
 *   a verified TLS client certificate              User:<subject DN> (certificate-principal.ts)
 *
 * Failed Bearer and Basic attempts slow down their network and the user or token id they were
 * aimed at (failed-login-delay.ts). A Basic login
 * costs a PBKDF2 (thread pool, a few ms): a success is remembered by the SHA-256 of its header for
 * basicCacheTtlMs, so a client sending Basic on every request pays it once a minute, and every
 * change of a user or token forgets them all. Nothing secret is logged: the audit log gets user
 * names, token ids and addresses.
 */
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { BrokerError } from '../errors.js';
import type { BrokerLimits } from '../limits.js';
import { TokenStore } from '../metadata/token-store.js';
import type { AuditLog } from './audit.js';
import { certificatePrincipal } from './certificate-principal.js';
import type { Credentials } from './credentials.js';
import { FailedLoginDelay, type LoginAttempt } from './failed-login-delay.js';
import { userPrincipal } from './request-principal.js';
import { sessionCookie, SessionStore } from './sessions.js';

/** How often a long-lived connection's credentials are looked up again when nothing changed: a token's expiry is a time, not a change. */
const LIVENESS_RECHECK_MS = 1000;

/** Longest Authorization header read: a token is 84 characters, Basic with the longest password ~1.5 KiB. */
const AUTHORIZATION_CHARS_MAX = 4096;

export type AuthenticatorLimits = Pick<BrokerLimits, 'basicCacheEntriesMax' | 'basicCacheTtlMs' | 'passwordBytesMax'> & ConstructorParameters<typeof FailedLoginDelay>[0] & ConstructorParameters<typeof SessionStore>[0];

export class Authenticator {
  readonly sessions: SessionStore;
  readonly delay: FailedLoginDelay;
  private readonly basicCache = new Map<string, { user: string; untilMs: number }>();
  private readonly tokensSeen = new Set<string>();

  constructor(private readonly credentials: Credentials, private readonly audit: AuditLog, private readonly limits: AuthenticatorLimits) {
    this.sessions = new SessionStore(limits);
    this.delay = new FailedLoginDelay(limits);
    credentials.onChange(() => {
      this.basicCache.clear();
      this.tokensSeen.clear();
    });
  }

  /** The request's principal (`User:<name>`), or a 401 SPOOL_ERR_UNAUTHENTICATED. */
  async authenticate(request: FastifyRequest): Promise<string> {
    const header = request.headers.authorization;
    if (header !== undefined) return userPrincipal(await this.fromAuthorization(header, request.ip));
    const session = sessionCookie(request.headers.cookie);
    if (session !== null) {
      const found = this.sessions.get(session);
      if (found && this.credentials.tokens.isLive(found.tokenId)) {
        checkSameOrigin(request, 'the session cookie');
        return userPrincipal(found.user);
      }
      throw unauthenticated('the session has ended (expired, logged out or its token revoked): log in again');
    }
    // Last: a verified client certificate (tlsClientAuth), when the request names no one else.
    const certificate = certificatePrincipal(request.raw.socket);
    if (certificate !== null) {
      // A browser holding the certificate offers it to any page's requests, as it sends a cookie.
      if (fromBrowser(request)) checkSameOrigin(request, 'the client certificate');
      return certificate;
    }
    throw unauthenticated('credentials are required: Authorization: Bearer <token> or Basic user:password (or a client certificate)');
  }

  /**
   * Whether the credentials `request` was authenticated with still hold, for a connection that
   * outlives it: its token not revoked or expired, its user not removed nor its password changed,
   * its browser session not ended (a client certificate holds while the connection does). Asks
   * spool.db again only after a change of users or tokens, or a second after the last time
   * (a token's expiry changes nothing stored).
   */
  liveness(request: FastifyRequest): () => boolean {
    const probe = this.credentialProbe(request);
    let changes = -1;
    let checkedAtMs = 0;
    let live = true;
    return () => {
      const nowMs = Date.now();
      if (live && (changes !== this.credentials.changes || nowMs - checkedAtMs >= LIVENESS_RECHECK_MS)) {
        changes = this.credentials.changes;
        checkedAtMs = nowMs;
        live = probe();
      }
      return live;
    };
  }

  private credentialProbe(request: FastifyRequest): () => boolean {
    const header = request.headers.authorization;
    const scheme = header?.slice(0, header.indexOf(' ')).toLowerCase();
    if (header !== undefined && scheme === 'bearer') {
      const id = TokenStore.idOf(header.slice(header.indexOf(' ') + 1).trim());
      return () => id !== null && this.credentials.tokens.isLive(id);
    }
    if (header !== undefined && scheme === 'basic') {
      const decoded = Buffer.from(header.slice(header.indexOf(' ') + 1).trim(), 'base64').toString('utf8');
      const name = decoded.slice(0, Math.max(0, decoded.indexOf(':')));
      // The stored key the password was checked against: a new password or a removed user changes it.
      const storedKey = this.credentials.users.credential(name, 'SCRAM-SHA-256')?.storedKey;
      return () => storedKey !== undefined && this.credentials.users.credential(name, 'SCRAM-SHA-256')?.storedKey.equals(storedKey) === true;
    }
    const session = sessionCookie(request.headers.cookie);
    if (session !== null) {
      return () => {
        const found = this.sessions.get(session);
        return found !== null && this.credentials.tokens.isLive(found.tokenId);
      };
    }
    return () => true;
  }

  /** Checks a token given to POST /v1/session, slowed like any failed attempt; answers its user and id. */
  async tokenLogin(token: string, address: string): Promise<{ user: string; tokenId: string }> {
    const attempt = tokenAttempt(token, address);
    await this.delay.wait(attempt);
    const user = this.credentials.verifyToken(token);
    if (user === null) this.failed(attempt, 'session', { tokenId: TokenStore.idOf(token) });
    this.delay.succeeded(attempt);
    this.audit({ action: 'session.create', principal: userPrincipal(user), address, outcome: 'success', tokenId: TokenStore.idOf(token) });
    return { user, tokenId: TokenStore.idOf(token)! };
  }

  private async fromAuthorization(header: string, address: string): Promise<string> {
    if (header.length > AUTHORIZATION_CHARS_MAX) this.failed({ address }, 'authenticate', { reason: 'header too long' });
    const space = header.indexOf(' ');
    const scheme = header.slice(0, space).toLowerCase();
    const value = header.slice(space + 1).trim();
    if (scheme === 'bearer') return this.bearer(value, address);
    if (scheme === 'basic') return this.basic(header, value, address);
    throw unauthenticated(`unsupported authorization scheme ${JSON.stringify(scheme.slice(0, 20))}: use Bearer or Basic`);
  }

  private async bearer(token: string, address: string): Promise<string> {
    const attempt = tokenAttempt(token, address);
    await this.delay.wait(attempt);
    const user = this.credentials.verifyToken(token);
    if (user === null) this.failed(attempt, 'authenticate', { scheme: 'bearer', tokenId: TokenStore.idOf(token) });
    this.delay.succeeded(attempt);
    const id = TokenStore.idOf(token)!;
    if (!this.tokensSeen.has(id)) {
      // One audit line per token per broker run, not one per request.
      if (this.tokensSeen.size >= this.limits.basicCacheEntriesMax) this.tokensSeen.clear();
      this.tokensSeen.add(id);
      this.audit({ action: 'authenticate', principal: userPrincipal(user), address, outcome: 'success', scheme: 'bearer', tokenId: id });
    }
    return user;
  }

  private async basic(header: string, encoded: string, address: string): Promise<string> {
    const key = createHash('sha256').update(header).digest('base64');
    const cached = this.basicCache.get(key);
    if (cached && cached.untilMs > Date.now()) return cached.user;
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const name = colon < 0 ? '' : decoded.slice(0, colon);
    const attempt: LoginAttempt = { address, target: colon < 0 ? undefined : userTarget(name) };
    await this.delay.wait(attempt);
    const user = colon < 0 ? null : await this.credentials.verifyPassword(name, decoded.slice(colon + 1));
    if (user === null) this.failed(attempt, 'authenticate', { scheme: 'basic', user: name.slice(0, 128) });
    this.delay.succeeded(attempt);
    this.basicCache.delete(key);
    this.basicCache.set(key, { user, untilMs: Date.now() + this.limits.basicCacheTtlMs });
    if (this.basicCache.size > this.limits.basicCacheEntriesMax) this.basicCache.delete(this.basicCache.keys().next().value!);
    this.audit({ action: 'authenticate', principal: userPrincipal(user), address, outcome: 'success', scheme: 'basic' });
    return user;
  }

  private failed(attempt: LoginAttempt, action: string, detail: Record<string, unknown>): never {
    this.delay.failed(attempt);
    this.audit({ action, principal: null, address: attempt.address, outcome: 'failure', ...detail });
    throw unauthenticated('wrong credentials');
  }
}

/** Methods a cookie may carry from any origin: they change nothing. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The cookie is SameSite=Strict, but a page on another port of localhost (or a sibling subdomain)
 * is the same site, so its browser sends the cookie along. A state-changing request carried by the
 * cookie alone must come from this origin: the browser's Sec-Fetch-Site says so, or its Origin
 * names the Host the request was sent to. Browsers send one of them with every non-GET request.
 * A client certificate is sent by a browser to every origin's requests too (tlsClientAuth
 * optional): the same check applies to it when the request comes from a browser.
 */
function checkSameOrigin(request: FastifyRequest, credential: string): void {
  // A WebSocket upgrade is a GET that opens a channel of acks and nacks: it changes state, and a
  // browser sends Origin with every one (cross-site WebSocket hijacking otherwise).
  if (SAFE_METHODS.has(request.method) && request.headers.upgrade === undefined) return;
  if (request.headers['sec-fetch-site'] === 'same-origin') return;
  const origin = request.headers.origin;
  if (origin !== undefined && request.headers.host !== undefined && originHost(origin) === request.headers.host.toLowerCase()) return;
  throw new BrokerError(
    'SPOOL_ERR_CROSS_ORIGIN',
    `a ${request.method} with only ${credential} must come from this broker's origin (Sec-Fetch-Site: same-origin or Origin: http://${request.headers.host ?? ''}), got Origin ${JSON.stringify((origin ?? '(none)').slice(0, 200))}: send Authorization from other origins`,
    { field: 'origin' },
  );
}

/**
 * Browsers send Origin or Sec-Fetch-Site with every non-GET request; command-line clients and
 * libraries send neither, and a certificate they hold was offered on purpose.
 */
function fromBrowser(request: FastifyRequest): boolean {
  return request.headers.origin !== undefined || request.headers['sec-fetch-site'] !== undefined;
}

function originHost(origin: string): string | null {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return null;
  }
}

/** The failed-login target of a password attempt: the user it names (cut short, so a huge name costs no memory). */
export function userTarget(name: string): string {
  return `user:${name.slice(0, 256)}`;
}

/** A token attempt is aimed at its token id (a guesser of one token's secret is slowed wherever it comes from). */
function tokenAttempt(token: string, address: string): LoginAttempt {
  const id = TokenStore.idOf(token);
  return { address, target: id === null || id === undefined ? undefined : `token:${id}` };
}

export function unauthenticated(message: string): BrokerError {
  return new BrokerError('SPOOL_ERR_UNAUTHENTICATED', message);
}
