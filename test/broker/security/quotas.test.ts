/**
 * Quotas per principal (broker/security/quotas.ts): the bucket arithmetic on a fake clock; over
 * HTTP a principal past its produce or fetch quota gets 429 SPOOL_ERR_QUOTA_EXCEEDED with
 * Retry-After and nothing written, while another principal is served; over Kafka the answer
 * carries throttle_time_ms and comes that much later (connections per principal:
 * http-connection-quota.test.ts). Everything is off by default.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Socket } from 'node:net';
import { KafkaSession } from '../../../broker/kafka/session.js';
import { HttpConnectionQuota } from '../../../broker/security/http-connection-quota.js';
import { Quotas, THROTTLE_MS_MAX } from '../../../broker/security/quotas.js';
import { encodeRecordBatch } from '../../../storage/index.js';
import { RawKafkaClient } from '../kafka/support/raw-client.js';
import { call, startBroker, type TestBroker } from '../support/broker.js';
import { admin, basic, grant, startSecuredBroker } from './support.js';

const off = { quotaProduceBytesPerSec: 0, quotaFetchBytesPerSec: 0, quotaConnectionsPerPrincipal: 0, quotaLiveSubscribersPerPrincipal: 0, quotaLongPollsPerPrincipal: 0, quotaControllerMutationsPerSec: 0 };

describe('the quota arithmetic', () => {
  it('allows a second of the rate, then throttles by the debt, which time pays back', () => {
    let now = 0;
    const quotas = new Quotas({ ...off, quotaProduceBytesPerSec: 1000 }, () => now);
    expect(quotas.record('produce', 'User:a', 1000)).toBe(0);
    expect(quotas.record('produce', 'User:a', 500)).toBe(500);
    expect(quotas.throttleMs('produce', 'User:b')).toBe(0); // each principal has its own bucket
    expect(quotas.throttleMs('fetch', 'User:a')).toBe(0); // and the fetch quota is off
    now = 250;
    expect(quotas.throttleMs('produce', 'User:a')).toBe(250);
    expect(() => quotas.check('produce', 'User:a')).toThrow(expect.objectContaining({ code: 'SPOOL_ERR_QUOTA_EXCEEDED', context: expect.objectContaining({ limit: 'quotaProduceBytesPerSec', retryAfterMs: 250 }) }));
    now = 500;
    expect(quotas.throttleMs('produce', 'User:a')).toBe(0);
    now = 100_000; // idle time refills one second of the rate, no more
    expect(quotas.record('produce', 'User:a', 2000)).toBe(1000);
  });

  it('caps the throttle time, and ignores extreme sizes when off', () => {
    const quotas = new Quotas({ ...off, quotaFetchBytesPerSec: 1 }, () => 0);
    expect(quotas.record('fetch', 'User:a', 2 ** 53)).toBe(THROTTLE_MS_MAX);
    expect(THROTTLE_MS_MAX).toBeLessThan(30_000); // KafkaJS's and Java's request timeout
    expect(new Quotas(off).record('produce', 'User:a', 2 ** 53)).toBe(0);
  });

  it('gives back bytes taken ahead, never past one second of the rate', () => {
    let now = 0;
    const quotas = new Quotas({ ...off, quotaFetchBytesPerSec: 1000 }, () => now);
    expect(quotas.record('fetch', 'User:a', 1_000_000)).toBe(THROTTLE_MS_MAX);
    quotas.giveBack('fetch', 'User:a', 998_500);
    expect(quotas.throttleMs('fetch', 'User:a')).toBe(500);
    quotas.giveBack('fetch', 'User:a', 2 ** 53);
    expect(quotas.record('fetch', 'User:a', 1000)).toBe(0);
    expect(quotas.record('fetch', 'User:a', 1)).toBe(1);
  });

  it('counts connections per principal and gives each back once', () => {
    const quotas = new Quotas({ ...off, quotaConnectionsPerPrincipal: 2 });
    const first = quotas.hold('connections', 'User:a')!;
    expect(quotas.hold('connections', 'User:a')).not.toBeNull();
    expect(quotas.hold('connections', 'User:a')).toBeNull();
    expect(quotas.hold('connections', 'User:b')).not.toBeNull();
    first();
    first();
    expect(quotas.hold('connections', 'User:a')).not.toBeNull();
    expect(quotas.hold('connections', 'User:a')).toBeNull();
  });

  it('gives back a slot taken for a connection that closed while it authenticated (HTTP and Kafka)', () => {
    const quotas = new Quotas({ ...off, quotaConnectionsPerPrincipal: 1 });
    // HTTP: the socket closed during an awaited password check; its 'close' will not fire again.
    const socket = new Socket();
    socket.destroy();
    new HttpConnectionQuota(quotas, () => {}).hold(socket, 'User:a');
    expect(quotas.hold('connections', 'User:a')).not.toBeNull();
    // Kafka: the connection closed during an awaited SaslAuthenticate step.
    const session = new KafkaSession('127.0.0.1');
    session.releaseConnection();
    session.holdConnection(quotas.hold('connections', 'User:b')!);
    expect(quotas.hold('connections', 'User:b')).not.toBeNull();
  });

  it('keeps each count apart, and take() refuses with 429 naming the setting', () => {
    const quotas = new Quotas({ ...off, quotaLiveSubscribersPerPrincipal: 1, quotaLongPollsPerPrincipal: 1 });
    const release = quotas.take('liveSubscribers', 'User:a');
    expect(() => quotas.take('liveSubscribers', 'User:a')).toThrow(expect.objectContaining({ code: 'SPOOL_ERR_QUOTA_EXCEEDED', status: 429, context: expect.objectContaining({ limit: 'quotaLiveSubscribersPerPrincipal', max: 1 }) }));
    quotas.take('longPolls', 'User:a'); // another count
    for (let i = 0; i < 1000; i++) quotas.take('connections', 'User:a'); // off: never refused
    release();
    expect(() => quotas.take('liveSubscribers', 'User:a')).not.toThrow();
  });

  it('meters partition mutations like bytes, naming the unit', () => {
    const quotas = new Quotas({ ...off, quotaControllerMutationsPerSec: 10 }, () => 0);
    expect(quotas.record('mutations', 'User:a', 30)).toBe(2000);
    expect(() => quotas.check('mutations', 'User:a')).toThrow(/10 partition mutations per second \(quotaControllerMutationsPerSec\)/);
  });
});

describe('quotas on a running broker', () => {
  let t: TestBroker;
  const alice = basic('alice', 'alice pw');
  const bob = basic('bob', 'bob pw');

  beforeAll(async () => {
    t = await startSecuredBroker({ kafka: true, settings: { quotaProduceBytesPerSec: 4000, quotaFetchBytesPerSec: 4000 }, limits: { authFailureDelayMsBase: 1, authFailureDelayMsMax: 2 } });
    for (const user of ['alice', 'bob']) await call(`${t.url}/v1/admin/users/${user}`, { method: 'PUT', headers: admin, json: { password: `${user} pw` } });
    for (const name of ['metered', 'kafka-metered']) await call(`${t.url}/v1/topics`, { method: 'POST', headers: admin, json: { name, partitions: 1 } });
    await call(`${t.url}/v1/topics`, { method: 'POST', headers: admin, json: { name: 'metered-streams', partitions: 1, config: { streamIndex: true } } });
    await grant(t.url, ['alice', 'bob'].map((user) => ({ principal: `User:${user}`, resourceType: 'topic', resourceName: '*', operation: 'All', permission: 'allow' })));
  });
  afterAll(() => t.close());

  const highWatermark = async (topic: string) => (await call(`${t.url}/v1/topics/${topic}`, { headers: admin })).body.partitionDetails[0].highWatermark;
  const produce = (headers: Record<string, string>, bytes: number) =>
    call(`${t.url}/v1/topics/metered/records`, { method: 'POST', headers, json: { records: [{ valueString: 'x'.repeat(bytes) }] } });

  it('answers 429 SPOOL_ERR_QUOTA_EXCEEDED with Retry-After past the produce quota, writing nothing, and serves others', async () => {
    expect((await produce(alice, 6000)).status).toBe(200);
    const before = await highWatermark('metered');
    const refused = await produce(alice, 10);
    expect([refused.status, refused.body.error.code, refused.body.error.limit]).toEqual([429, 'SPOOL_ERR_QUOTA_EXCEEDED', 'quotaProduceBytesPerSec']);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await highWatermark('metered')).toBe(before);
    expect((await produce(bob, 10)).status).toBe(200);
    await vi.waitFor(async () => expect((await produce(alice, 10)).status).toBe(200), { timeout: 10_000, interval: 200 });
  });

  it('answers 429 past the fetch quota', async () => {
    const read = () => call(`${t.url}/v1/topics/metered/partitions/0/records?offset=0`, { headers: bob });
    expect((await read()).status).toBe(200); // about 6000 bytes: the bucket goes into debt
    const refused = await read();
    expect([refused.status, refused.body.error.code, refused.body.error.limit]).toEqual([429, 'SPOOL_ERR_QUOTA_EXCEEDED', 'quotaFetchBytesPerSec']);
  });

  it('meters stream appends (one stream and many) as produce and stream reads as fetch', async () => {
    const carol = basic('carol', 'carol pw');
    const dave = basic('dave', 'dave pw');
    for (const user of ['carol', 'dave']) await call(`${t.url}/v1/admin/users/${user}`, { method: 'PUT', headers: admin, json: { password: `${user} pw` } });
    await grant(t.url, ['carol', 'dave'].map((user) => ({ principal: `User:${user}`, resourceType: 'topic', resourceName: '*', operation: 'All', permission: 'allow' })));
    const event = (bytes: number) => ({ type: 'noted', data: { text: 'x'.repeat(bytes) } });
    const appendOne = (headers: Record<string, string>, bytes: number) => call(`${t.url}/v1/topics/metered-streams/streams/order-1/events`, { method: 'POST', headers, json: { events: [event(bytes)] } });
    const appendMany = (headers: Record<string, string>) => call(`${t.url}/v1/topics/metered-streams/streams/events`, { method: 'POST', headers, json: { appends: [{ stream: 'order-2', events: [event(10)] }] } });
    const version = async (stream: string) => (await call(`${t.url}/v1/topics/metered-streams/streams/${stream}`, { headers: admin })).body.version;

    expect((await appendOne(carol, 6000)).status).toBe(200); // the bucket goes into debt
    for (const refused of [await appendOne(carol, 10), await appendMany(carol)]) {
      expect([refused.status, refused.body.error.code, refused.body.error.limit]).toEqual([429, 'SPOOL_ERR_QUOTA_EXCEEDED', 'quotaProduceBytesPerSec']);
    }
    expect(await version('order-1')).toBe(0);
    expect(await version('order-2')).toBe(-1);

    const read = () => call(`${t.url}/v1/topics/metered-streams/streams/order-1/events`, { headers: dave });
    expect((await read()).status).toBe(200); // about 6000 bytes answered: dave's fetch bucket goes into debt
    const refusedRead = await read();
    expect([refusedRead.status, refusedRead.body.error.code, refusedRead.body.error.limit]).toEqual([429, 'SPOOL_ERR_QUOTA_EXCEEDED', 'quotaFetchBytesPerSec']);
  });

  it('answers Kafka produce with throttle_time_ms and delays the answer as long', async () => {
    const client = await RawKafkaClient.connect(t.kafka!);
    expect(await client.authenticatePlain('alice', 'alice pw')).toBe(0);
    const records = encodeRecordBatch([{ value: Buffer.alloc(6000, 1) }]);
    const request = () => client.request('Produce', 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'kafka-metered', partitionData: [{ index: 0, records }] }] });
    await vi.waitFor(async () => expect(await alice429Free()).toBe(true), { timeout: 10_000, interval: 200 });
    const first = await request();
    expect(first.responses[0].partitionResponses[0].errorCode).toBe(0);
    expect(first.throttleTimeMs).toBeGreaterThan(0);
    const started = Date.now();
    const second = await request();
    // The second answer waited for its own throttle time at least (a lower bound, not a speed check).
    expect(second.throttleTimeMs).toBeGreaterThan(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(second.throttleTimeMs - 5);
    client.close();
  });

  async function alice429Free(): Promise<boolean> {
    return (await call(`${t.url}/v1/topics/metered/records`, { method: 'POST', headers: alice, json: { records: [{ valueString: '' }] } })).status === 200;
  }
});

describe('quotas limit what is written and read, not only when it is answered (issue 17)', () => {
  let t: TestBroker;
  afterEach(() => t?.close());

  it('mutes a Kafka connection while its principal owes the produce quota, acks=0 included', async () => {
    const rate = 4000;
    t = await startBroker({ kafka: true, settings: { quotaProduceBytesPerSec: rate } });
    await call(`${t.url}/v1/topics`, { method: 'POST', json: { name: 'muted', partitions: 1 } });
    const client = await RawKafkaClient.connect(t.kafka!);
    const records = encodeRecordBatch([{ value: Buffer.alloc(rate, 1) }]);
    const started = Date.now();
    for (let i = 0; i < 4; i++) client.send('Produce', 7, { transactionalId: null, acks: 0, timeoutMs: 5000, topicData: [{ name: 'muted', partitionData: [{ index: 0, records }] }] });
    const versions = await client.request('ApiVersions', 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    expect(versions.errorCode).toBe(0);
    // Each produce past the first second of the rate waited for the debt before it was read: the
    // frame behind them was answered no sooner than the rate allows (a lower bound, not a speed check).
    expect(Date.now() - started).toBeGreaterThanOrEqual(((3 * records.length - rate) * 1000) / rate - 50);
    expect((await call(`${t.url}/v1/topics/muted`)).body.partitionDetails[0].highWatermark).toBe(4);
    client.close();
  });

  it('takes an HTTP fetch\'s maxBytes before it waits: concurrent long-polls woken by one produce cannot all read', async () => {
    t = await startBroker({ settings: { quotaFetchBytesPerSec: 10_000 } });
    await call(`${t.url}/v1/topics`, { method: 'POST', json: { name: 'woken', partitions: 1 } });
    const polls = Array.from({ length: 20 }, () => call(`${t.url}/v1/topics/woken/partitions/0/records?offset=0&maxWaitMs=30000&format=batch`));
    const produced = await call(`${t.url}/v1/topics/woken/records`, { method: 'POST', json: { records: [{ valueString: 'x'.repeat(900_000) }] } });
    expect(produced.status).toBe(200);
    const statuses = (await Promise.all(polls)).map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 429)).toHaveLength(19);
  });
});
