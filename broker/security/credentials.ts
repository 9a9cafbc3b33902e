/**
 * Users and API tokens: the one place that checks names, passwords and expiries before they reach
 * spool.db, used alike by the admin routes of a running broker and by `spool users|tokens` on a
 * stopped broker's data directory. Principals are Kafka's `User:<name>`: a token authenticates as
 * the user it was made for (that user may have no password: a service that only uses tokens).
 */
import type Database from 'better-sqlite3';
import { BrokerError } from '../errors.js';
import type { BrokerLimits } from '../limits.js';
import { type TokenInfo, TokenStore } from '../metadata/token-store.js';
import { type UserInfo, UserStore } from '../metadata/user-store.js';
import { makeCredential, passwordMatches, SCRAM_ITERATIONS_MAX, SCRAM_ITERATIONS_MIN, SCRAM_MECHANISMS, type ScramCredential, type ScramMechanism } from './scram.js';

/**
 * User names: letters, digits and `. _ @ + -`. No `,` or `=` (SCRAM escapes them in its messages),
 * no `:` (a principal is `User:<name>`), no `*` (the ACL wildcard), no spaces or controls (logs).
 */
export const USER_NAME = /^[A-Za-z0-9._@+-]{1,128}$/;

export function checkUserName(name: string, field = 'user'): void {
  if (!USER_NAME.test(name)) {
    throw new BrokerError('SPOOL_ERR_INVALID_PRINCIPAL', `${field} ${JSON.stringify(name.slice(0, 140))} is not a user name: 1-128 of A-Z a-z 0-9 . _ @ + -`, { field });
  }
}

/**
 * ANONYMOUS is the principal of an open broker's requests (Kafka's name for it): a user or token
 * of that name would read as the open broker in logs and ACLs, so no new one may take it.
 */
const RESERVED_USER_NAMES = new Set(['anonymous']);

/** A user name for a new user or token: well formed and not reserved. */
export function checkNewUserName(name: string, field = 'user'): void {
  checkUserName(name, field);
  if (RESERVED_USER_NAMES.has(name.toLowerCase())) {
    throw new BrokerError('SPOOL_ERR_INVALID_PRINCIPAL', `${field} ${JSON.stringify(name)} is reserved: it names the open broker's principal, User:ANONYMOUS`, { field });
  }
}

export interface TokenOptions {
  description?: string;
  /** Lifetime from now; none: the token lives until revoked. */
  expiresInMs?: number;
}

export class Credentials {
  readonly users: UserStore;
  readonly tokens: TokenStore;
  private principalsKnown: boolean | null = null;
  /** Counts changes of users and tokens: a cache of a verification is good while it stays the same. */
  changes = 0;
  private readonly listeners: Array<() => void> = [];

  /**
   * `keepLastPrincipal`: a running broker that listens beyond loopback without allowAnonymous
   * refuses to remove its last user or token, which would open it to the network at once (the
   * start-up rule of security.ts, kept at run time). `clientCertificates`: verified client
   * certificates authenticate (tlsClientAuth optional or required), so the broker requires
   * authentication whether or not users or tokens exist, and removing the last of them is fine.
   */
  constructor(
    db: Database.Database,
    private readonly limits: Pick<BrokerLimits, 'passwordBytesMax' | 'usersMax' | 'tokensMax'>,
    private readonly options: { keepLastPrincipal?: boolean; clientCertificates?: boolean } = {},
  ) {
    this.users = new UserStore(db);
    this.tokens = new TokenStore(db);
  }

  /** Throws unless principals would remain after removing `users` users and `tokens` tokens. */
  private checkSomeRemain(users: number, tokens: number, what: string): void {
    if (!this.options.keepLastPrincipal || this.options.clientCertificates || users + tokens === 0) return;
    if (this.users.count() - users + this.tokens.count() - tokens > 0) return;
    throw new BrokerError(
      'SPOOL_ERR_LAST_PRINCIPAL',
      `removing ${what} would leave no user or token, and the broker listens beyond loopback without --allow-anonymous: anyone on the network could then do everything. Add another user or token first`,
      {},
    );
  }

  /** Whether any principal can log in (a user, a token, a client certificate): with none, a loopback broker runs open (docs/security.md). */
  hasPrincipals(): boolean {
    if (this.options.clientCertificates) return true;
    // Asked on every request: counted once, again only after a change (the data directory's
    // lock means no other process changes spool.db meanwhile).
    this.principalsKnown ??= this.users.count() > 0 || this.tokens.count() > 0;
    return this.principalsKnown;
  }

  /** Called after every change of a user or token (caches of verified credentials forget them). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private changed(): void {
    this.principalsKnown = null;
    this.changes += 1;
    for (const listener of this.listeners) listener();
  }

  /** Adds a user or changes its password (both SCRAM mechanisms); answers whether it was new. */
  async putUser(name: string, password: string, iterations = SCRAM_ITERATIONS_MIN): Promise<boolean> {
    checkNewUserName(name);
    const bytes = Buffer.byteLength(password, 'utf8');
    if (bytes === 0 || bytes > this.limits.passwordBytesMax) {
      throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `password must be 1 to ${this.limits.passwordBytesMax} bytes, got ${bytes}`, { field: 'password', limit: this.limits.passwordBytesMax });
    }
    if (!Number.isSafeInteger(iterations) || iterations < SCRAM_ITERATIONS_MIN || iterations > SCRAM_ITERATIONS_MAX) {
      throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `iterations must be ${SCRAM_ITERATIONS_MIN} to ${SCRAM_ITERATIONS_MAX} (Kafka's bounds)`, { field: 'iterations', limit: SCRAM_ITERATIONS_MAX });
    }
    const exists = this.users.credential(name, 'SCRAM-SHA-256') !== null;
    if (!exists && this.users.count() >= this.limits.usersMax) {
      throw new BrokerError('SPOOL_ERR_TOO_MANY_PRINCIPALS', `the broker holds its maximum of ${this.limits.usersMax} users`, { limit: this.limits.usersMax });
    }
    const credentials = await Promise.all(SCRAM_MECHANISMS.map((mechanism) => makeCredential(mechanism, password, iterations)));
    const created = this.users.put(name, credentials);
    this.changed();
    return created;
  }

  /** Removes a user and revokes its tokens: a removed user can no longer log in by any means. */
  removeUser(name: string): { tokensRevoked: number } {
    checkUserName(name);
    const tokens = this.tokens.list().filter((token) => token.user === name);
    this.checkSomeRemain(this.users.credential(name, 'SCRAM-SHA-256') === null ? 0 : 1, tokens.length, `user ${name} and its ${tokens.length} token(s)`);
    const existed = this.users.remove(name);
    for (const token of tokens) this.tokens.revoke(token.id);
    this.changed();
    if (!existed && tokens.length === 0) throw new BrokerError('SPOOL_ERR_USER_NOT_FOUND', `no user ${name}`, { user: name });
    return { tokensRevoked: tokens.length };
  }

  listUsers(): UserInfo[] {
    return this.users.list();
  }

  createToken(user: string, options: TokenOptions = {}, nowMs = Date.now()): TokenInfo & { token: string } {
    checkNewUserName(user);
    if (options.expiresInMs !== undefined && (!Number.isSafeInteger(options.expiresInMs) || options.expiresInMs < 1)) {
      throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `expiresInMs must be a positive whole number of milliseconds, got ${options.expiresInMs}`, { field: 'expiresInMs' });
    }
    if (this.tokens.count() >= this.limits.tokensMax) {
      throw new BrokerError('SPOOL_ERR_TOO_MANY_PRINCIPALS', `the broker holds its maximum of ${this.limits.tokensMax} tokens: revoke unused ones`, { limit: this.limits.tokensMax });
    }
    const expiresAtMs = options.expiresInMs === undefined ? null : nowMs + options.expiresInMs;
    const created = this.tokens.create(user, { description: options.description ?? '', expiresAtMs });
    this.changed();
    return created;
  }

  revokeToken(id: string): void {
    this.checkSomeRemain(0, this.tokens.list().some((token) => token.id === id) ? 1 : 0, `token ${id.slice(0, 40)}`);
    if (!this.tokens.revoke(id)) throw new BrokerError('SPOOL_ERR_TOKEN_NOT_FOUND', `no token ${id.slice(0, 40)}`, { token: id.slice(0, 40) });
    this.changed();
  }

  listTokens(): TokenInfo[] {
    return this.tokens.list();
  }

  /** The user a password logs in as, or null. An unknown user costs as much as a wrong password. */
  async verifyPassword(user: string, password: string, mechanism: ScramMechanism = 'SCRAM-SHA-256'): Promise<string | null> {
    if (Buffer.byteLength(password, 'utf8') > this.limits.passwordBytesMax) return null;
    const credential = USER_NAME.test(user) ? this.users.credential(user, mechanism) : null;
    const matches = await passwordMatches(credential ?? decoy(mechanism), password);
    return credential !== null && matches ? user : null;
  }

  verifyToken(token: string): string | null {
    return this.tokens.verify(token);
  }
}

/** A credential no password matches (a random StoredKey), salted like a real one so a miss takes as long. */
const decoys = new Map<ScramMechanism, ScramCredential>();
function decoy(mechanism: ScramMechanism): ScramCredential {
  let credential = decoys.get(mechanism);
  if (!credential) {
    const bytes = mechanism === 'SCRAM-SHA-256' ? 32 : 64;
    credential = { mechanism, salt: Buffer.alloc(32, 1), iterations: SCRAM_ITERATIONS_MIN, storedKey: Buffer.alloc(bytes), serverKey: Buffer.alloc(bytes) };
    decoys.set(mechanism, credential);
  }
  return credential;
}
