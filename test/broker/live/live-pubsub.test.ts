/**
 * Live pub/sub over a real broker: pattern subscriptions that pick up topics created later, named
 * subscriptions, resuming with a full cursor, subscriber counts (GET /v1/live/topics and the
 * produce answer), and every rejection of the new routes.
 */
import { get, type IncomingMessage } from 'node:http';
import { pack } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../../storage/index.js';
import { call, startBroker, type TestBroker } from '../support/broker.js';
import { data, openSse, type SseStream } from './sse-stream.js';

let broker: TestBroker;
const open: SseStream[] = [];
beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => {
  for (const stream of open) stream.close();
  await broker.close();
});

async function subscribe(path: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const stream = await openSse(`${broker.url}${path}`, headers);
  open.push(stream);
  return stream;
}

const createTopic = (name: string, partitions = 1) => call(`${broker.url}/v1/topics`, { method: 'POST', json: { name, partitions } });
const produce = (topic: string, values: string[], partition = 0) =>
  call(`${broker.url}/v1/topics/${topic}/records`, { method: 'POST', json: { records: values.map((valueString) => ({ valueString, partition })) } });
const follows = (stream: SseStream) => stream.next((event) => event.event === 'follow').then(data);

async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const value = await read();
    if (check(value) || attempt > 100) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('GET /v1/live?pattern=', () => {
  it('follows matching topics, including one created after subscribing, and nothing else', async () => {
    await createTopic('ps.old');
    const stream = await subscribe('/v1/live?pattern=ps.*');
    expect(await follows(stream)).toEqual([{ topic: 'ps.old', partition: 0, offset: 0 }]);
    await createTopic('ps.new', 2);
    await createTopic('other.new');
    expect(await follows(stream)).toEqual([
      { topic: 'ps.new', partition: 0, offset: 0 },
      { topic: 'ps.new', partition: 1, offset: 0 },
    ]);
    await produce('other.new', ['not for us']);
    await produce('ps.new', ['a', 'b'], 1);
    await produce('ps.old', ['c']);
    const events = await stream.records(3);
    expect(events.map((event) => event.id).sort()).toEqual(['ps.new/1:0', 'ps.new/1:1', 'ps.old/0:0']);
    expect(events.map((event) => data(event).value).sort()).toEqual(['a', 'b', 'c']);
    expect(data(events.find((event) => event.id === 'ps.old/0:0')!)).toMatchObject({ topic: 'ps.old', partition: 0, offset: 0 });
  });

  it('resumes from a full cursor without gaps or repeats, and reads topics created meanwhile from their start', async () => {
    await createTopic('rs.a', 2);
    await produce('rs.a', ['old']);
    const first = await subscribe('/v1/live?pattern=rs.%23&from=earliest');
    expect(await follows(first)).toEqual([
      { topic: 'rs.a', partition: 0, offset: 0 },
      { topic: 'rs.a', partition: 1, offset: 0 },
    ]);
    await produce('rs.a', ['x1', 'x2'], 1);
    const seen = await first.records(2);
    first.close();
    // The client's cursor: the last offset of each followed partition (-1: followed, nothing yet).
    const cursor = 'rs.a/0:-1,rs.a/1:0';
    expect(seen.map((event) => event.id).sort()).toEqual(['rs.a/0:0', 'rs.a/1:0']);
    await produce('rs.a', ['x3'], 1);
    await createTopic('rs.b');
    await produce('rs.b', ['y1']);
    const resumed = await subscribe('/v1/live?pattern=rs.%23&from=earliest', { 'last-event-id': cursor });
    expect(await follows(resumed)).toEqual([
      { topic: 'rs.a', partition: 0, offset: 0 },
      { topic: 'rs.a', partition: 1, offset: 1 },
      { topic: 'rs.b', partition: 0, offset: 0 },
    ]);
    const events = await resumed.records(4);
    expect(events.map((event) => event.id).sort()).toEqual(['rs.a/0:0', 'rs.a/1:1', 'rs.a/1:2', 'rs.b/0:0']);
    expect(events.map((event) => data(event).value).sort()).toEqual(['old', 'x2', 'x3', 'y1']);
  });

  it('follows named topics with ?topic=', async () => {
    await createTopic('named.one');
    await createTopic('named.two');
    const stream = await subscribe('/v1/live?topic=named.one');
    expect(await follows(stream)).toEqual([{ topic: 'named.one', partition: 0, offset: 0 }]);
    await produce('named.two', ['no']);
    await produce('named.one', ['yes']);
    const [event] = await stream.records(1);
    expect(event!.id).toBe('named.one/0:0');
  });
});

describe('subscriber counts', () => {
  it('GET /v1/live/topics counts live subscribers and groups with live members per topic', async () => {
    await createTopic('cnt.a', 2);
    await createTopic('cnt.b');
    const perTopic = await subscribe('/v1/topics/cnt.a/live');
    const pattern = await subscribe('/v1/live?pattern=cnt.%23');
    await Promise.all([follows(perTopic), follows(pattern)]);
    const join = await call(`${broker.url}/v1/groups/cnt-group/members`, { method: 'POST', json: { pattern: 'cnt.a' } });
    expect(join.status).toBe(200);
    const answer = await call(`${broker.url}/v1/live/topics?pattern=cnt.*`);
    expect(answer.status).toBe(200);
    expect(answer.body.topics).toEqual([
      { name: 'cnt.a', partitions: 2, live: 2, groups: 1 },
      { name: 'cnt.b', partitions: 1, live: 1, groups: 0 },
    ]);

    perTopic.close();
    pattern.close();
    await call(`${broker.url}/v1/groups/cnt-group/members/${join.body.memberId}`, { method: 'DELETE' });
    const after = await eventually(
      () => call(`${broker.url}/v1/live/topics?pattern=cnt.a`),
      (value) => value.body.topics[0].live === 0,
    );
    expect(after.body.topics).toEqual([{ name: 'cnt.a', partitions: 2, live: 0, groups: 0 }]);
  });

  it('answers a produce of every content type with the topic\'s subscribers', async () => {
    await createTopic('pub.counts');
    const none = await produce('pub.counts', ['nobody listens']);
    expect(none.body.subscribers).toEqual({ live: 0, groups: 0 });

    const stream = await subscribe('/v1/live?pattern=pub.*');
    await follows(stream);
    await call(`${broker.url}/v1/groups/pub-group/members`, { method: 'POST', json: { topics: ['pub.counts'] } });
    const json = await produce('pub.counts', ['one']);
    expect(json.body.subscribers).toEqual({ live: 1, groups: 1 });

    const msgpack = await call(`${broker.url}/v1/topics/pub.counts/records`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-msgpack' },
      body: pack({ records: [{ value: 'two' }] }),
    });
    expect(msgpack.status).toBe(200);
    expect(msgpack.body.subscribers).toEqual({ live: 1, groups: 1 });

    const raw = await call(`${broker.url}/v1/topics/pub.counts/records?partition=0`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.spool.batch' },
      body: encodeRecordBatch([{ key: null, value: Buffer.from('three') }]),
    });
    expect(raw.status).toBe(200);
    expect(raw.body.subscribers).toEqual({ live: 1, groups: 1 });
  });
});

describe('rejections', () => {
  it.each([
    ['/v1/live', 400, 'SPOOL_ERR_BAD_REQUEST'],
    ['/v1/live?pattern=a.*&topic=a', 400, 'SPOOL_ERR_BAD_REQUEST'],
    ['/v1/live?pattern=a..b', 400, 'SPOOL_ERR_BAD_REQUEST'],
    ['/v1/live?pattern=a.b*', 400, 'SPOOL_ERR_BAD_REQUEST'],
    ['/v1/live?topic=no-such-topic', 404, 'SPOOL_ERR_TOPIC_NOT_FOUND'],
    ['/v1/live/topics?pattern=%23%23.x%20y', 400, 'SPOOL_ERR_BAD_REQUEST'],
    [`/v1/live?pattern=${Array(33).fill('*').join('.')}`, 413, 'SPOOL_ERR_PATTERN_TOO_LONG'],
    [`/v1/live/topics?pattern=${Array(33).fill('%23').join('.')}`, 413, 'SPOOL_ERR_PATTERN_TOO_LONG'],
  ])('GET %s → %i %s', async (path, status, code) => {
    const answer = await call(`${broker.url}${path}`);
    expect(answer.status).toBe(status);
    expect(answer.body.error.code).toBe(code);
  });

  it('refuses a malformed cursor', async () => {
    const answer = await call(`${broker.url}/v1/live?pattern=%23`, { headers: { 'last-event-id': 'a/0:-2' } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('SPOOL_ERR_BAD_REQUEST');
  });

  it('bounds live subscribers across the per-topic tail and pattern subscriptions', async () => {
    const small = await startBroker({ limits: { liveSubscribersMax: 1 } });
    try {
      await call(`${small.url}/v1/topics`, { method: 'POST', json: { name: 'bound', partitions: 1 } });
      const first = await openSse(`${small.url}/v1/topics/bound/live`);
      for (const path of ['/v1/live?pattern=%23', '/v1/live?topic=bound', '/v1/topics/bound/live']) {
        const refused = await call(`${small.url}${path}`);
        expect(refused.status).toBe(429);
        expect(refused.body.error.code).toBe('SPOOL_ERR_TOO_MANY_SUBSCRIBERS');
        expect(refused.headers.get('retry-after')).toBe('1');
      }
      first.close();
      const status = await eventually(
        async () => {
          const answer = await new Promise<IncomingMessage>((resolve) => get(`${small.url}/v1/live?pattern=%23`, { agent: false }, resolve));
          answer.destroy();
          return answer.statusCode;
        },
        (value) => value === 200,
      );
      expect(status).toBe(200);
    } finally {
      await small.close();
    }
  });
});
