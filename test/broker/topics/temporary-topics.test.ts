/**
 * Temporary topics on a real broker (idleMs 500, swept every 20 ms): deleted once idle; kept while
 * produced to, fetched from, or followed by a live subscriber that names them; not kept by a
 * wildcard pattern subscriber; still temporary after a restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { call, startBroker, type TestBroker } from '../support/broker.js';
import { openSse } from '../live/sse-stream.js';

const IDLE_MS = 500;
let broker: TestBroker;
afterEach(async () => broker?.close());

const start = async () => (broker = await startBroker({ limits: { temporarySweepIntervalMs: 20 } }));
const createTemporary = (name: string, idleMs: number | null = IDLE_MS) =>
  call(`${broker.url}/v1/topics`, { method: 'POST', json: { name, temporary: true, ...(idleMs === null ? {} : { idleMs }) } });
const exists = async (name: string) => (await call(`${broker.url}/v1/topics/${name}`)).status === 200;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function deletedWithin(name: string, ms: number): Promise<number> {
  const startedAt = Date.now();
  while (await exists(name)) {
    if (Date.now() - startedAt > ms) throw new Error(`${name} still exists after ${ms} ms`);
    await sleep(20);
  }
  return Date.now() - startedAt;
}

/** Calls `use` every 100 ms for `ms`, then answers whether the topic still exists. */
async function usedFor(name: string, ms: number, use: () => Promise<unknown>): Promise<boolean> {
  for (const until = Date.now() + ms; Date.now() < until; ) {
    await use();
    await sleep(100);
  }
  return exists(name);
}

describe('temporary topics', () => {
  it('are described as temporary and deleted after idleMs without use', async () => {
    await start();
    const created = await createTemporary('tmp.idle');
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'tmp.idle', temporary: true, idleMs: IDLE_MS });
    const plain = await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'plain' } });
    expect(plain.body.temporary).toBeUndefined();
    await deletedWithin('tmp.idle', IDLE_MS + 1000);
    await sleep(IDLE_MS);
    expect(await exists('plain')).toBe(true);
  });

  it('default to an idleMs of 60 s', async () => {
    await start();
    expect((await createTemporary('tmp.default', null)).body.idleMs).toBe(60_000);
  });

  it('are kept alive by produces and fetches', async () => {
    await start();
    await createTemporary('tmp.produced');
    await createTemporary('tmp.fetched');
    const produce = () => call(`${broker.url}/v1/topics/tmp.produced/records`, { method: 'POST', json: { records: [{ valueString: 'x' }] } });
    const fetchOnce = () => call(`${broker.url}/v1/topics/tmp.fetched/partitions/0/records`);
    const [produced, fetched] = await Promise.all([usedFor('tmp.produced', 3 * IDLE_MS, produce), usedFor('tmp.fetched', 3 * IDLE_MS, fetchOnce)]);
    expect(produced).toBe(true);
    expect(fetched).toBe(true);
    await deletedWithin('tmp.produced', IDLE_MS + 1000);
  });

  it('are kept alive by a live subscriber that names them, not by a wildcard pattern', async () => {
    await start();
    await createTemporary('tmp.named');
    await createTemporary('tmp.wild');
    const named = await openSse(`${broker.url}/v1/live?topic=tmp.named`);
    const perTopic = await openSse(`${broker.url}/v1/topics/tmp.named/live`);
    const wild = await openSse(`${broker.url}/v1/live?pattern=tmp.*`);
    try {
      await deletedWithin('tmp.wild', IDLE_MS + 1000);
      await sleep(IDLE_MS);
      expect(await exists('tmp.named')).toBe(true);
      named.close();
      await sleep(IDLE_MS * 2);
      expect(await exists('tmp.named')).toBe(true); // the per-topic tail still names it
      perTopic.close();
      // The idle clock starts when the last naming subscriber leaves.
      expect(await deletedWithin('tmp.named', IDLE_MS + 1000)).toBeGreaterThanOrEqual(IDLE_MS - 50);
    } finally {
      for (const stream of [named, perTopic, wild]) stream.close();
    }
  });

  it('stay temporary across a restart, with a fresh idle clock', async () => {
    await start();
    const createdAt = Date.now();
    // An idle time well above a restart on a loaded machine, so the topic outlives the restart.
    const idleMs = 2000;
    await createTemporary('tmp.restart', idleMs);
    await sleep(1500);
    broker = await broker.restart();
    expect((await call(`${broker.url}/v1/topics/tmp.restart`)).body).toMatchObject({ temporary: true, idleMs });
    await deletedWithin('tmp.restart', idleMs + 1000);
    // Without a fresh clock it would have gone idleMs after its creation.
    expect(Date.now() - createdAt).toBeGreaterThanOrEqual(1500 + idleMs);
  });

  it.each([
    [{ name: 'bad1', idleMs: 1000 }, 'idleMs without temporary'],
    [{ name: 'bad2', temporary: true, idleMs: 10 }, 'idleMs below the minimum'],
    [{ name: 'bad3', temporary: true, idleMs: 86_400_001 }, 'idleMs above the maximum'],
    [{ name: 'bad4', temporary: 'yes' }, 'temporary not a boolean'],
  ])('refuses %j (%s) with 400 SPOOL_ERR_BAD_REQUEST', async (body, _what) => {
    await start();
    const answer = await call(`${broker.url}/v1/topics`, { method: 'POST', json: body });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('SPOOL_ERR_BAD_REQUEST');
    expect(await exists(body.name)).toBe(false);
  });
});
