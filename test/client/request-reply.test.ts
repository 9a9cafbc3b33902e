/**
 * spool.request() / spool.respond() against a real broker: a round trip, several responders
 * sharing the requests, a timeout, a failing handler, requests past their deadline, and the
 * requester's temporary reply topic (one per connection, deleted on close).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spool } from '../../client/index.js';
import { startBroker, type TestBroker } from '../broker/support/broker.js';

let broker: TestBroker;
let spool: Spool;
beforeAll(async () => {
  broker = await startBroker();
  spool = new Spool({ url: broker.url, requestTimeoutMs: 5000 });
});
afterAll(async () => {
  await spool.close();
  await broker.close();
});

const replyTopics = async (client: Spool) => (await client.admin.listTopics()).filter((topic) => topic.name.startsWith('_reply.'));

describe('request/reply', () => {
  it('answers a request with the handler\'s result, through one temporary reply topic per connection', async () => {
    await spool.admin.createTopic({ name: 'rpc.add' });
    const responder = spool.respond<{ a: number; b: number }, { sum: number }>('rpc.add', ({ value }) => ({ sum: value.a + value.b }));
    await responder.ready;
    const reply = await spool.request<{ sum: number }>('rpc.add', { a: 2, b: 3 }, { timeoutMs: 5000 });
    expect(reply.value).toEqual({ sum: 5 });
    expect(reply.headers['correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
    const replies = await Promise.all([1, 2, 3].map((a) => spool.request<{ sum: number }>('rpc.add', { a, b: 10 })));
    expect(replies.map((message) => message.value.sum)).toEqual([11, 12, 13]);

    const [replyTopic] = await replyTopics(spool);
    expect(await replyTopics(spool)).toHaveLength(1);
    expect(replyTopic!.name).toBe(reply.topic);
    expect(await spool.admin.describeTopic(reply.topic)).toMatchObject({ temporary: true });
    await responder.close();
  });

  it('shares requests between several responders of one group', async () => {
    await spool.admin.createTopic({ name: 'rpc.work', partitions: 4 });
    const handledBy = new Map<string, number>();
    const responders = ['r1', 'r2'].map((name) =>
      spool.respond<number, string>('rpc.work', async () => {
        handledBy.set(name, (handledBy.get(name) ?? 0) + 1);
        return name;
      }, { consumer: { heartbeatIntervalMs: 100 } }),
    );
    await Promise.all(responders.map((responder) => responder.ready));
    // Wait until the group has settled: each responder owns partitions.
    for (let attempt = 0; attempt < 100; attempt++) {
      const group = await spool.admin.describeGroup('responders.rpc.work');
      if (group.state === 'Stable' && group.members.every((member) => member.assignments.length === 2)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => spool.request<string>('rpc.work', i, { key: `k${i}` })));
    expect(replies).toHaveLength(40);
    expect(new Set(replies.map((reply) => reply.value))).toEqual(new Set(['r1', 'r2']));
    expect((handledBy.get('r1') ?? 0) + (handledBy.get('r2') ?? 0)).toBe(40);
    await Promise.all(responders.map((responder) => responder.close()));
  });

  it('rejects with SPOOL_ERR_REPLY_TIMEOUT when no reply comes within timeoutMs', async () => {
    await spool.admin.createTopic({ name: 'rpc.nobody' });
    const startedAt = Date.now();
    const failure = await spool.request('rpc.nobody', { hello: 1 }, { timeoutMs: 300 }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'SpoolClientError', code: 'SPOOL_ERR_REPLY_TIMEOUT', retriable: false, context: { topic: 'rpc.nobody', timeoutMs: 300 } });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(290);
  });

  it('skips requests whose deadline passed, and answers the live ones', async () => {
    await spool.admin.createTopic({ name: 'rpc.late' });
    await spool.request('rpc.late', 'stale', { timeoutMs: 150 }).catch(() => null); // nobody answers in time
    const handled: unknown[] = [];
    const responder = spool.respond<string, string>('rpc.late', ({ value }) => {
      handled.push(value);
      return `${value}!`;
    });
    await responder.ready;
    expect((await spool.request<string>('rpc.late', 'fresh', { timeoutMs: 5000 })).value).toBe('fresh!');
    expect(handled).toEqual(['fresh']);
    await responder.close();
  });

  it('rejects with SPOOL_ERR_RESPONDER_FAILED when the handler throws, and the responder goes on', async () => {
    await spool.admin.createTopic({ name: 'rpc.fail' });
    const errors: unknown[] = [];
    const responder = spool.respond<number, number>(
      'rpc.fail',
      ({ value }) => {
        if (value < 0) throw new Error('negative input');
        return Math.sqrt(value);
      },
      { onError: (error) => errors.push(error) },
    );
    await responder.ready;
    await expect(spool.request('rpc.fail', -1, { timeoutMs: 5000 })).rejects.toMatchObject({ code: 'SPOOL_ERR_RESPONDER_FAILED', message: expect.stringContaining('negative input') });
    expect((await spool.request<number>('rpc.fail', 16, { timeoutMs: 5000 })).value).toBe(4);
    expect(errors).toHaveLength(1);
    await responder.close();
  });

  it('fails a request to a topic that does not exist with the broker\'s error, at once', async () => {
    await expect(spool.request('rpc.missing', 1, { timeoutMs: 5000 })).rejects.toMatchObject({ code: 'SPOOL_ERR_TOPIC_NOT_FOUND' });
  });

  it('deletes its reply topic and fails pending requests on close', async () => {
    const other = new Spool({ url: broker.url });
    await other.admin.createTopic({ name: 'rpc.slow' });
    const before = (await replyTopics(spool)).length;
    const pending = other.request('rpc.slow', 'x', { timeoutMs: 10_000 }).catch((error: unknown) => error);
    for (let attempt = 0; attempt < 100 && (await replyTopics(spool)).length === before; attempt++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await replyTopics(spool)).length).toBe(before + 1);
    await other.close();
    expect(await pending).toMatchObject({ code: 'SPOOL_ERR_CLIENT_CLOSED' });
    expect((await replyTopics(spool)).length).toBe(before);
  });
});
