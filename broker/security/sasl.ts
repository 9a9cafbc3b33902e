/**
 * The server side of the SASL mechanisms the Kafka listener offers, as state machines fed the
 * client's bytes (SaslAuthenticate's auth_bytes) and answering the server's:
 *
 *   PLAIN (RFC 4616)        client: [authzid] NUL user NUL password      → done
 *   SCRAM-SHA-256/512       client-first:  n,[a=authzid],n=user,r=cnonce
 *   (RFC 5802, RFC 7677)    server-first:  r=cnonce+snonce,s=salt,i=iterations
 *                           client-final:  c=biws,r=cnonce+snonce,p=proof
 *                           server-final:  v=signature                   → done
 *
 * SCRAM checks the proof against the stored keys only (scram.ts): ClientKey = proof XOR
 * HMAC(StoredKey, AuthMessage), and H(ClientKey) must be StoredKey. An unknown user gets a made-up
 * salt (an HMAC of its name under a random secret kept in spool.db) and the usual iteration count,
 * and fails at the proof, so the exchange does not tell which users exist. Channel binding is
 * not offered (gs2 flag `n` or `y`; `p=` is refused), as in Kafka.
 */
import { randomBytes } from 'node:crypto';
import type { Credentials } from './credentials.js';
import { constantTimeEqual, hash, hmac, type ScramCredential, type ScramMechanism, SCRAM_ITERATIONS_MIN } from './scram.js';

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** One step: bytes for the client, and the user once authenticated (null while going on). */
export type SaslStep = { reply: Buffer; user: string | null } | { failure: string; user?: string };

export interface SaslExchange {
  step(clientBytes: Buffer): Promise<SaslStep>;
}

export function saslExchange(mechanism: SaslMechanism, credentials: Credentials): SaslExchange {
  return mechanism === 'PLAIN' ? plain(credentials) : new ScramExchange(mechanism, credentials);
}

function plain(credentials: Credentials): SaslExchange {
  return {
    async step(bytes) {
      const parts = bytes.toString('utf8').split('\u0000');
      if (parts.length !== 3) return { failure: 'malformed PLAIN message' };
      const [authzid, user, password] = parts as [string, string, string];
      if (authzid !== '' && authzid !== user) return { failure: 'PLAIN: the authorization id must be empty or the user', user };
      const ok = await credentials.verifyPassword(user, password);
      return ok === null ? { failure: 'wrong user name or password', user } : { reply: Buffer.alloc(0), user: ok };
    },
  };
}

/** SCRAM attribute lists: `k=v` pairs separated by commas. */
function attributes(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of text.split(',')) if (part.length >= 2 && part[1] === '=') map.set(part[0]!, part.slice(2));
  return map;
}

/** SCRAM's saslname: `=2C` is a comma and `=3D` an equals sign; any other `=` is malformed. */
function decodeSaslName(name: string): string | null {
  if (/=(?!2C|3D)/.test(name)) return null;
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

class ScramExchange implements SaslExchange {
  private state: 'first' | 'final' | 'done' = 'first';
  private user = '';
  private credential: ScramCredential | null = null;
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';

  constructor(private readonly mechanism: ScramMechanism, private readonly credentials: Credentials) {}

  async step(bytes: Buffer): Promise<SaslStep> {
    const text = bytes.toString('utf8');
    if (this.state === 'first') return this.first(text);
    if (this.state === 'final') return this.final(text);
    return { failure: 'the SCRAM exchange is over' };
  }

  private first(text: string): SaslStep {
    // gs2-header: n or y (no channel binding), an optional a=authzid, then the bare message.
    const match = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(text);
    if (!match) return { failure: 'malformed SCRAM client-first message (channel binding is not offered)' };
    this.clientFirstBare = match[3]!;
    const fields = attributes(this.clientFirstBare);
    const user = decodeSaslName(fields.get('n') ?? '');
    const clientNonce = fields.get('r') ?? '';
    if (user === null || user === '' || clientNonce === '' || fields.has('m')) return { failure: 'malformed SCRAM client-first message' };
    if (match[2] !== undefined && decodeSaslName(match[2].slice(2)) !== user) return { failure: 'SCRAM: the authorization id must be the user', user };
    this.user = user;
    this.credential = this.credentials.users.credential(user, this.mechanism);
    // An unknown user gets a salt derived from its name under the data directory's secret (stable
    // across attempts and restarts, unguessable without spool.db) and the iteration count real
    // users have, and fails at the proof.
    const { users } = this.credentials;
    const salt = this.credential?.salt ?? hmac(this.mechanism, users.decoySecret(), `${this.mechanism}\u0000${user}`).subarray(0, 32);
    const iterations = this.credential?.iterations ?? users.usualIterations(this.mechanism) ?? SCRAM_ITERATIONS_MIN;
    this.nonce = clientNonce + randomBytes(24).toString('base64');
    this.serverFirst = `r=${this.nonce},s=${salt.toString('base64')},i=${iterations}`;
    this.state = 'final';
    return { reply: Buffer.from(this.serverFirst), user: null };
  }

  private final(text: string): SaslStep {
    this.state = 'done';
    const at = text.lastIndexOf(',p=');
    if (at < 0) return { failure: 'malformed SCRAM client-final message', user: this.user };
    const withoutProof = text.slice(0, at);
    const fields = attributes(withoutProof);
    const proof = Buffer.from(text.slice(at + 3), 'base64');
    // Kafka's ScramSaslServer checks `endsWith`: librdkafka sends its own nonce again in front of
    // the combined one. Our random part still ends it, so a replayed exchange cannot pass.
    if (!(fields.get('r') ?? '').endsWith(this.nonce)) return { failure: 'SCRAM nonce mismatch', user: this.user };
    if (fields.get('c') !== 'biws' && fields.get('c') !== 'eSws') return { failure: 'SCRAM channel binding is not offered', user: this.user };
    const credential = this.credential;
    if (credential === null) return { failure: 'wrong user name or password', user: this.user };
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const signature = hmac(this.mechanism, credential.storedKey, authMessage);
    if (proof.length !== signature.length) return { failure: 'wrong user name or password', user: this.user };
    const clientKey = Buffer.from(proof.map((byte, i) => byte ^ signature[i]!));
    if (!constantTimeEqual(hash(this.mechanism, clientKey), credential.storedKey)) return { failure: 'wrong user name or password', user: this.user };
    const serverSignature = hmac(this.mechanism, credential.serverKey, authMessage);
    return { reply: Buffer.from(`v=${serverSignature.toString('base64')}`), user: this.user };
  }
}
