/**
 * Receives waiting for work, against a real broker: every waiting receive (HTTP long-poll or a
 * session with credit) is woken by records produced while it waits, and they are served oldest
 * first. A receive missed by a wake-up answers only when its 60 s wait ends: past these tests'
 * timeouts, so each fails without the behaviour it guards.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { encodeCredit } from '../../../storage/codec/index.js';
import { call, startBroker, type TestBroker } from '../support/broker.js';
import { holdingFileSystem, inTopic } from '../support/holding-file-system.js';
import { openSession, sessionUrl } from './session-support.js';

let broker: TestBroker;
afterEach(async () => broker?.close());

const queueUrl = () => `${broker.url}/v1/topics/jobs/queues/workers`;

async function setup(): Promise<void> {
  broker = await startBroker({ flush: 'never' });
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'jobs', partitions: 1 } });
  expect((await call(queueUrl(), { method: 'PUT', json: {} })).status).toBe(201);
}

/** A receive that waits up to 60 s; resolves with the values it got. */
async function receiveValues(): Promise<unknown[]> {
  const answer = await call(`${queueUrl()}/receive`, { method: 'POST', json: { max: 10, waitMs: 60_000 } });
  expect(answer.status).toBe(200);
  return answer.body.messages.map((message: { value: unknown }) => message.value);
}

const produce = (value: string) => call(`${broker.url}/v1/topics/jobs/records`, { method: 'POST', json: { records: [{ value }] } });

async function untilWaiting(count: number): Promise<void> {
  await vi.waitFor(async () => expect((await call(`${broker.url}/metrics`)).body.toString()).toContain(`spool_queue_receives_waiting{topic="jobs",queue="workers"} ${count}`));
}

it('wakes the receives still waiting for records produced after one of them was served', async () => {
  await setup();
  const first = receiveValues();
  await untilWaiting(1);
  const second = receiveValues();
  await untilWaiting(2);
  await produce('one');
  await untilWaiting(1);
  await produce('two');
  expect([...(await first), ...(await second)].sort()).toEqual(['one', 'two']);
}, 20_000);

it('serves the oldest waiting receive first, though a newer one came while it waited', async () => {
  await setup();
  const oldest = receiveValues();
  await untilWaiting(1);
  const newer = receiveValues();
  await untilWaiting(2);
  await produce('one');
  expect(await oldest).toEqual(['one']);
  await produce('two');
  expect(await newer).toEqual(['two']);
}, 20_000);

it('wakes a session with credit for records produced after the receive waiting before it was served', async () => {
  await setup();
  const first = receiveValues();
  await untilWaiting(1);
  const session = await openSession(sessionUrl(broker.url));
  try {
    session.ws.send(encodeCredit(1));
    await untilWaiting(2);
    await produce('one');
    expect(await first).toEqual(['one']);
    await produce('two');
    await vi.waitFor(() => expect(session.messages().map((message) => JSON.parse(message.value!.toString()))).toEqual(['two']), { timeout: 10_000 });
  } finally {
    session.ws.terminate();
  }
}, 20_000);

it('wakes a waiting receive for a record appended to one partition while its load read another', async () => {
  const hold = holdingFileSystem('read', (path) => inTopic(path, 'jobs', 1) && path.endsWith('.log'));
  broker = await startBroker({ flush: 'never', fileSystem: hold.fileSystem });
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'jobs', partitions: 2 } });
  expect((await call(queueUrl(), { method: 'PUT', json: { orderedByKey: true } })).status).toBe(201);
  const produceTo = (partition: number, value: string, key?: string) => call(`${broker.url}/v1/topics/jobs/records`, { method: 'POST', json: { records: [{ key, value, partition }] } });
  await produceTo(1, 'k0', 'k');
  const leased = await call(`${queueUrl()}/receive`, { method: 'POST', json: { max: 10, visibilityMs: 600_000 } });
  expect(leased.body.messages.map((message: { value: unknown }) => message.value)).toEqual(['k0']); // key k in flight
  await produceTo(1, 'k1', 'k'); // blocked behind k0 until it settles
  hold.arm();
  const waiting = receiveValues();
  await vi.waitFor(() => expect(hold.isHeld()).toBe(true)); // its load is reading partition 1
  await produceTo(0, 'free'); // partition 0 was loaded already: no load and no watch sees this
  hold.release();
  expect(await waiting).toEqual(['free']);
}, 20_000);

it('wakes a receive that waited since before a lease was taken when that lease runs out', async () => {
  await setup();
  const dying = call(`${queueUrl()}/receive`, { method: 'POST', json: { max: 10, visibilityMs: 1000, waitMs: 60_000 } });
  await untilWaiting(1);
  const survivor = receiveValues();
  await untilWaiting(2);
  await produce('one');
  expect((await dying).body.messages).toHaveLength(1); // its worker dies: the lease runs out in 1 s
  expect(await survivor).toEqual(['one']);
}, 20_000);
