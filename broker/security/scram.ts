/**
 * SCRAM credentials (RFC 5802, with SHA-256 and SHA-512 as RFC 7677 and Kafka's KIP-84 use them).
 * A user's password is never stored: only what a SCRAM server keeps per mechanism,
 *
 *   SaltedPassword = PBKDF2-HMAC-H(password, salt, iterations)
 *   ClientKey      = HMAC(SaltedPassword, "Client Key")
 *   StoredKey      = H(ClientKey)            ← kept: checks a client's proof
 *   ServerKey      = HMAC(SaltedPassword, "Server Key")   ← kept: proves the server to the client
 *
 * so a stolen spool.db gives neither the password nor anything a client can log in with (the
 * proof needs ClientKey, which StoredKey only hashes). The same keys check HTTP Basic passwords:
 * the password is salted again and its StoredKey compared in constant time.
 *
 * PBKDF2 runs on libuv's thread pool (crypto.pbkdf2, not pbkdf2Sync): 4096 iterations of SHA-512
 * take a few milliseconds, which would otherwise stall every other request.
 */
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

export const SCRAM_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type ScramMechanism = (typeof SCRAM_MECHANISMS)[number];

/** Kafka's bounds on iterations (ScramMechanism.minIterations / maxIterations). */
export const SCRAM_ITERATIONS_MIN = 4096;
export const SCRAM_ITERATIONS_MAX = 16384;
/** Salt bytes: RFC 5802 leaves it open; Kafka's ScramFormatter uses a random 16+ bytes. */
const SALT_BYTES = 32;

export interface ScramCredential {
  mechanism: ScramMechanism;
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

const digestOf = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-512': 'sha512' } as const;
const keyBytesOf = { 'SCRAM-SHA-256': 32, 'SCRAM-SHA-512': 64 } as const;

export function hmac(mechanism: ScramMechanism, key: Buffer, text: string | Buffer): Buffer {
  return createHmac(digestOf[mechanism], key).update(text).digest();
}

export function hash(mechanism: ScramMechanism, data: Buffer): Buffer {
  return createHash(digestOf[mechanism]).update(data).digest();
}

/** Hi() of RFC 5802: PBKDF2 over the password's UTF-8 bytes (Kafka's clients send it unprepared). */
export function saltPassword(mechanism: ScramMechanism, password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return pbkdf2Async(Buffer.from(password, 'utf8'), salt, iterations, keyBytesOf[mechanism], digestOf[mechanism]);
}

export function clientKeyOf(mechanism: ScramMechanism, saltedPassword: Buffer): Buffer {
  return hmac(mechanism, saltedPassword, 'Client Key');
}

export async function makeCredential(mechanism: ScramMechanism, password: string, iterations = SCRAM_ITERATIONS_MIN): Promise<ScramCredential> {
  const salt = randomBytes(SALT_BYTES);
  const salted = await saltPassword(mechanism, password, salt, iterations);
  return {
    mechanism,
    salt,
    iterations,
    storedKey: hash(mechanism, clientKeyOf(mechanism, salted)),
    serverKey: hmac(mechanism, salted, 'Server Key'),
  };
}

/** Whether `password` is the one `credential` was made from, compared in constant time. */
export async function passwordMatches(credential: ScramCredential, password: string): Promise<boolean> {
  const salted = await saltPassword(credential.mechanism, password, credential.salt, credential.iterations);
  return constantTimeEqual(hash(credential.mechanism, clientKeyOf(credential.mechanism, salted)), credential.storedKey);
}

/** timingSafeEqual that answers false for buffers of different lengths instead of throwing. */
export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
