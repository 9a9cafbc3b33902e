/**
 * A message being dead-lettered is out of its key's flight once: when retention (DeleteRecords)
 * drops it while its copy is still being written to the dead-letter topic, the key must not be
 * counted out twice (two of one key leased at once) nor stay blocked (the key never served again).
 */
import { afterEach, expect, it } from 'vitest';
import { call, startBroker, type TestBroker } from '../support/broker.js';
import { holdingFileSystem, inTopic } from '../support/holding-file-system.js';

let broker: TestBroker | undefined;
afterEach(async () => broker?.close());

it('a dying message dropped by retention before its dead letter is written leaves its key served once at a time', async () => {
  const dlq = holdingFileSystem('writev', (path) => inTopic(path, 'dlq'), { armed: true });
  broker = await startBroker({ flush: 'never', fileSystem: dlq.fileSystem });
  const url = broker.url;
  const queue = `${url}/v1/topics/jobs/queues/workers`;
  await call(`${url}/v1/topics`, { method: 'POST', json: { name: 'jobs', partitions: 1 } });
  await call(`${url}/v1/topics`, { method: 'POST', json: { name: 'dlq', partitions: 1 } });
  await call(`${url}/v1/topics/jobs/records`, { method: 'POST', json: { records: [{ key: 'k', value: 0 }, { key: 'k', value: 1 }] } });
  expect((await call(queue, { method: 'PUT', json: { orderedByKey: true, deadLetterTopic: 'dlq' } })).status).toBe(201);

  const first = (await call(`${queue}/receive`, { method: 'POST', json: { max: 10 } })).body.messages;
  expect(first.map((m: { value: number }) => m.value)).toEqual([0]); // one of key k in flight at a time
  const rejecting = call(`${queue}/reject`, { method: 'POST', json: { receipts: [first[0].receipt] } });
  for (let i = 0; !dlq.isHeld() && i < 400; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(dlq.isHeld()).toBe(true);

  broker.broker.topics.deleteRecordsBefore('jobs', 0, 2); // both of k's records go while the dead letter is written
  // A receive meanwhile loads the partition, which drops what retention removed (the dying one too).
  expect((await call(`${queue}/receive`, { method: 'POST', json: { max: 10 } })).body.messages).toEqual([]);
  dlq.release();
  expect((await rejecting).status).toBe(200);

  await call(`${url}/v1/topics/jobs/records`, { method: 'POST', json: { records: [{ key: 'k', value: 2 }, { key: 'k', value: 3 }] } });
  const next = (await call(`${queue}/receive`, { method: 'POST', json: { max: 10, waitMs: 2000 } })).body.messages;
  // Served again (not blocked for good), and still one of key k at a time (not counted out twice).
  expect(next.map((m: { value: number }) => m.value)).toEqual([2]);
});
