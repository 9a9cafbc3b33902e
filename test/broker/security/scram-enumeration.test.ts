/**
 * SCRAM must not tell which users exist (finding 5): an unknown user's server-first message carries
 * a salt no outsider can compute (an HMAC under a random secret kept in spool.db, stable across
 * restarts, different per data directory) and the iteration count real users have.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { brokerLimits } from '../../../broker/limits.js';
import { openDatabase } from '../../../broker/metadata/database.js';
import { Credentials } from '../../../broker/security/credentials.js';
import { saslExchange } from '../../../broker/security/sasl.js';
import { hmac, SCRAM_ITERATIONS_MIN } from '../../../broker/security/scram.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'spool-scram-enum-'));
  dirs.push(dir);
  return dir;
}

/** The salt and iteration count a SCRAM-SHA-256 server-first message offers `user`, from the data directory `dir`. */
async function serverFirst(dir: string, user: string, setup?: (credentials: Credentials) => Promise<void>): Promise<{ salt: string; iterations: number }> {
  const db = openDatabase(dir, false, 'test');
  try {
    const credentials = new Credentials(db, brokerLimits);
    await setup?.(credentials);
    const step = await saslExchange('SCRAM-SHA-256', credentials).step(Buffer.from(`n,,n=${user},r=clientnonce`));
    if (!('reply' in step)) throw new Error(step.failure);
    const fields = new Map(step.reply.toString().split(',').map((part) => [part[0]!, part.slice(2)]));
    return { salt: fields.get('s')!, iterations: Number(fields.get('i')) };
  } finally {
    db.close();
  }
}

describe('SCRAM for an unknown user (finding 5)', () => {
  it('offers a salt not computable from the source, stable across restarts and different per data directory', async () => {
    const dir = await dataDir();
    const first = await serverFirst(dir, 'ghost');
    const publicKeySalt = hmac('SCRAM-SHA-256', Buffer.from('spool unknown user'), 'ghost').subarray(0, 32).toString('base64');
    expect(first.salt).not.toBe(publicKeySalt);
    expect(Buffer.from(first.salt, 'base64')).toHaveLength(32);
    expect((await serverFirst(dir, 'ghost')).salt).toBe(first.salt);
    expect((await serverFirst(dir, 'ghost2')).salt).not.toBe(first.salt);
    expect((await serverFirst(await dataDir(), 'ghost')).salt).not.toBe(first.salt);
  });

  it('offers the iteration count the real users have', async () => {
    const dir = await dataDir();
    const known = await serverFirst(dir, 'alice', async (credentials) => {
      await credentials.putUser('alice', 'alice password', 8192);
      await credentials.putUser('bob', 'bob password', 8192);
    });
    expect(known.iterations).toBe(8192);
    expect((await serverFirst(dir, 'ghost')).iterations).toBe(8192);
    expect((await serverFirst(await dataDir(), 'ghost')).iterations).toBe(SCRAM_ITERATIONS_MIN);
  });
});
