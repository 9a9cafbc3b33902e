/**
 * What a principal may hold open at once (broker/security/quotas.ts): live (SSE) subscriptions,
 * quotaLiveSubscribersPerPrincipal, across topic tails, pattern subscriptions and stream feeds;
 * waiting long-polls, quotaLongPollsPerPrincipal, across HTTP fetches, queue receives and Kafka
 * fetches. One more is answered 429 SPOOL_ERR_QUOTA_EXCEEDED naming the setting (Kafka: what
 * there is, throttled); another principal has its own count; a slot comes back as its holder ends.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { RawKafkaClient } from '../kafka/support/raw-client.js';
import { call, type TestBroker } from '../support/broker.js';
import { admin, basic, grant, startSecuredBroker } from './support.js';

const alice = basic('alice', 'alice pw');
const bob = basic('bob', 'bob pw');
let t: TestBroker;
const open: AbortController[] = [];

beforeAll(async () => {
  t = await startSecuredBroker({ kafka: true, settings: { quotaLiveSubscribersPerPrincipal: 1, quotaLongPollsPerPrincipal: 1 } });
  for (const user of ['alice', 'bob']) await call(`${t.url}/v1/admin/users/${user}`, { method: 'PUT', headers: admin, json: { password: `${user} pw` } });
  await call(`${t.url}/v1/topics`, { method: 'POST', headers: admin, json: { name: 'held', partitions: 1, config: { streamIndex: true } } });
  expect((await call(`${t.url}/v1/topics/held/queues/workers`, { method: 'PUT', headers: admin, json: {} })).status).toBeLessThan(300);
  await grant(t.url, ['alice', 'bob'].flatMap((user) => [
    { principal: `User:${user}`, resourceType: 'topic', resourceName: '*', operation: 'All', permission: 'allow' },
    { principal: `User:${user}`, resourceType: 'queue', resourceName: '*', operation: 'All', permission: 'allow' },
    { principal: `User:${user}`, resourceType: 'group', resourceName: '*', operation: 'All', permission: 'allow' },
  ]));
});
afterEach(() => open.splice(0).forEach((controller) => controller.abort()));
afterAll(() => t.close());

/** A request left open (an SSE stream, a long-poll): its status once its headers came, and its answer. */
async function hold(path: string, headers: Record<string, string>, init: RequestInit = {}): Promise<{ status: number; body: Promise<string> }> {
  const controller = new AbortController();
  open.push(controller);
  const response = await fetch(`${t.url}${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) }, signal: controller.signal });
  return { status: response.status, body: response.text().catch(() => '') };
}

async function refusal(path: string, headers: Record<string, string>, init: RequestInit = {}): Promise<unknown> {
  const answer = await hold(path, headers, init);
  const body = JSON.parse(await answer.body);
  return [answer.status, body.error?.code, body.error?.limit];
}

/** Fetches waiting now, as /metrics counts them. */
async function longPollsWaiting(): Promise<number> {
  const text = (await call(`${t.url}/metrics`)).body as string;
  return Number(/^spool_long_polls_waiting (\d+)/m.exec(text)?.[1]);
}

const over = (limit: string) => [429, 'SPOOL_ERR_QUOTA_EXCEEDED', limit];
const receive = (headers: Record<string, string>, waitMs: number) =>
  hold('/v1/topics/held/queues/workers/receive', headers, { method: 'POST', body: JSON.stringify({ waitMs }), headers: { 'content-type': 'application/json' } });

describe('live subscriptions per principal', () => {
  it('refuses a second live subscription of any kind, serves another principal, and takes one again once the first ended', async () => {
    expect((await hold('/v1/topics/held/live', alice)).status).toBe(200);
    expect(await refusal('/v1/live?pattern=held.%23', alice)).toEqual(over('quotaLiveSubscribersPerPrincipal'));
    expect(await refusal('/v1/live?topic=held', alice)).toEqual(over('quotaLiveSubscribersPerPrincipal'));
    expect(await refusal('/v1/topics/held/streams/s/live', alice)).toEqual(over('quotaLiveSubscribersPerPrincipal'));
    expect((await hold('/v1/topics/held/streams/s/live', bob)).status).toBe(200);
    open.splice(0).forEach((controller) => controller.abort());
    await vi.waitFor(async () => {
      const again = await hold('/v1/live?topic=held', alice);
      expect(again.status).toBe(200);
    }, { timeout: 10_000, interval: 100 });
  });
});

describe('long-polls per principal', () => {
  const poll = (headers: Record<string, string>) => hold('/v1/topics/held/partitions/0/records?offset=latest&maxWaitMs=30000', headers);

  it('counts HTTP fetches and queue receives that wait; answers do not wait for the quota when they need not wait', async () => {
    const waiting = poll(alice); // answers only once a record arrives
    await vi.waitFor(async () => expect(await longPollsWaiting()).toBe(1), { timeout: 10_000, interval: 50 });
    expect(await refusal('/v1/topics/held/partitions/0/records?offset=latest&maxWaitMs=30000', alice)).toEqual(over('quotaLongPollsPerPrincipal'));
    const queueRefused = await receive(alice, 30_000);
    expect([queueRefused.status, JSON.parse(await queueRefused.body).error.limit]).toEqual([429, 'quotaLongPollsPerPrincipal']);
    // No wait asked, none held: served.
    expect((await hold('/v1/topics/held/partitions/0/records?offset=latest', alice)).status).toBe(200);
    expect((await receive(alice, 0)).status).toBe(200);
    // Another principal has its own count.
    const bobWaiting = poll(bob);
    await call(`${t.url}/v1/topics/held/records`, { method: 'POST', headers: admin, json: { records: [{ valueString: 'wakes them' }] } });
    expect((await waiting).status).toBe(200);
    expect((await bobWaiting).status).toBe(200);
    // The slot came back with the answer.
    await vi.waitFor(async () => {
      const again = await receive(alice, 50);
      expect(again.status).toBe(200);
    }, { timeout: 10_000, interval: 100 });
  });

  it('throttles a Kafka fetch past the quota for the wait it asked for, answering at once what there is', async () => {
    const waiting = poll(alice);
    await vi.waitFor(async () => expect(await longPollsWaiting()).toBe(1), { timeout: 10_000, interval: 50 });
    expect(await refusal('/v1/topics/held/partitions/0/records?offset=latest&maxWaitMs=30000', alice)).toEqual(over('quotaLongPollsPerPrincipal'));
    const client = await RawKafkaClient.connect(t.kafka!);
    try {
      expect(await client.authenticatePlain('alice', 'alice pw')).toBe(0);
      const { highWatermark } = (await call(`${t.url}/v1/topics/held`, { headers: admin })).body.partitionDetails[0];
      const answer = await client.request('Fetch', 11, {
        maxWaitMs: 3000,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        topics: [{ topic: 'held', partitions: [{ partition: 0, fetchOffset: highWatermark, partitionMaxBytes: 1 << 20 }] }],
        forgottenTopicsData: [],
        rackId: '',
      });
      expect(answer.errorCode).toBe(0);
      expect(answer.throttleTimeMs).toBeGreaterThan(0);
      expect(answer.responses[0].partitions[0].records?.length ?? 0).toBe(0);
    } finally {
      client.close();
    }
    await call(`${t.url}/v1/topics/held/records`, { method: 'POST', headers: admin, json: { records: [{ valueString: 'wakes alice' }] } });
    expect((await waiting).status).toBe(200);
  });
});
