/**
 * Password guessing: failed logins from one address wait longer and longer (and one after another,
 * however many connections they use), while a correct login from another address is answered at
 * once. The delays are lower bounds the broker's timers guarantee, not speed thresholds.
 */
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestBroker } from '../support/broker.js';
import { ADMIN_PASSWORD, basic, bearer, startSecuredBroker, tokenFor } from './support.js';

const BASE_MS = 4;
const MAX_MS = 64;

describe('failed logins are slowed per address', () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startSecuredBroker({ limits: { authFailureDelayMsBase: BASE_MS, authFailureDelayMsMax: MAX_MS } });
  });
  afterAll(() => t.close());

  const attempt = async (password: string, dispatcher?: Agent, url = t.url) => {
    const answer = await undiciFetch(`${url}/v1/topics`, { headers: basic('admin', password), dispatcher });
    await answer.arrayBuffer();
    return answer.status;
  };

  it('doubles the wait of each failed attempt up to the cap', async () => {
    const took: number[] = [];
    for (let i = 0; i < 8; i++) {
      const start = performance.now();
      expect(await attempt(`guess ${i}`)).toBe(401);
      took.push(performance.now() - start);
    }
    // Attempt i waits for the i failures before it: base × 2^(i-1), capped.
    for (let i = 1; i < took.length; i++) expect(took[i], `attempt ${i}`).toBeGreaterThanOrEqual(Math.min(BASE_MS * 2 ** (i - 1), MAX_MS) - 1);
    expect(await attempt(ADMIN_PASSWORD)).toBe(200);
  });

  it('keeps the delay of guesses at admin while the guesser\'s own token succeeds in between (finding 6)', async () => {
    const own = await tokenFor(t.url, 'mallory');
    const took: number[] = [];
    for (let i = 0; i < 6; i++) {
      const start = performance.now();
      expect(await attempt(`alternating guess ${i}`)).toBe(401);
      took.push(performance.now() - start);
      const mine = await undiciFetch(`${t.url}/v1/topics`, { headers: bearer(own.token) });
      await mine.arrayBuffer();
      expect(mine.status).not.toBe(401);
    }
    for (let i = 1; i < took.length; i++) expect(took[i], `guess ${i}`).toBeGreaterThanOrEqual(Math.min(BASE_MS * 2 ** (i - 1), MAX_MS) - 1);
    expect(await attempt(ADMIN_PASSWORD)).toBe(200);
  });

  it('keeps 1,000 concurrent wrong passwords from one address waiting in turn while another address logs in at once', async () => {
    // 127.0.0.2 is loopback too on Linux: a second client address on this machine.
    // Delays of 1-2 ms keep 1,000 queued guesses within seconds; the order is what is checked.
    const quick = await startSecuredBroker({ limits: { authFailureDelayMsBase: 1, authFailureDelayMsMax: 2 } });
    const other = new Agent({ connect: { localAddress: '127.0.0.2' } });
    // 100 connections carry the 1,000 guesses: 1,000 connects at once overflow the listen backlog (511).
    const attacker = new Agent({ connections: 100 });
    try {
      let answered = 0;
      const guesses = Array.from({ length: 1000 }, (_, i) =>
        attempt(`wrong ${i}`, attacker, quick.url).then((status) => {
          answered += 1;
          return status;
        }),
      );
      // Let the guesses arrive and start failing.
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await attempt(ADMIN_PASSWORD, other, quick.url)).toBe(200);
      // The correct login came back while most guesses were still queued behind their delays.
      expect(answered).toBeLessThan(1000);
      const statuses = await Promise.all(guesses);
      expect(statuses.every((status) => status === 401)).toBe(true);
    } finally {
      await other.close();
      await attacker.close();
      await quick.close();
    }
  }, 240_000);
});
