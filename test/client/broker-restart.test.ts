/**
 * A broker killed with SIGKILL in the middle of a produce and consume run, then restarted on the
 * same port and data directory: the idempotent producer's retries land exactly once, and the group
 * consumer finds its way back by itself (re-joins, resumes from committed offsets).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { freePort, startBrokerProcess, type BrokerProcess } from '../../bench/lib/broker-process.js';
import { Spool } from '../../client/index.js';

const RECORDS = 30_000;
const CHUNK = 250;
const TOPIC = 'events';

const dataDir = mkdtempSync(join(tmpdir(), 'spool-client-restart-'));
let broker: BrokerProcess | null = null;

afterAll(async () => {
  await broker?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function kill(process: BrokerProcess): Promise<void> {
  return new Promise((resolve) => {
    process.child.once('exit', () => resolve());
    process.child.kill('SIGKILL');
  });
}

it('keeps every record exactly once through a SIGKILL, and the consumer resumes on its own', async () => {
  const port = await freePort();
  broker = await startBrokerProcess({ flush: 'always', dataDir, port });
  const spool = new Spool({ url: broker.url, requestTimeoutMs: 5000 });
  await spool.admin.createTopic({ name: TOPIC, partitions: 4 });

  const consumed = new Map<number, number>();
  const consumer = spool.consumer<{ id: number }>({ groupId: 'restart', topics: [TOPIC], offsetReset: 'earliest', heartbeatIntervalMs: 200, sessionTimeoutMs: 6000, maxWaitMs: 200 });
  await consumer.run({
    eachBatch: ({ messages }) => {
      for (const message of messages) consumed.set(message.value.id, (consumed.get(message.value.id) ?? 0) + 1);
    },
  });

  const producer = spool.producer<{ id: number }>({ idempotent: true, lingerMs: 1, retry: { baseMs: 20, maxMs: 300 } });
  let killed = false;
  const crash = (async () => {
    while (consumed.size < RECORDS / 3) await new Promise((resolve) => setTimeout(resolve, 5));
    await kill(broker!);
    killed = true;
    await new Promise((resolve) => setTimeout(resolve, 300));
    broker = await startBrokerProcess({ flush: 'always', dataDir, port });
  })();
  for (let start = 0; start < RECORDS; start += CHUNK) {
    const records = Array.from({ length: CHUNK }, (_, i) => ({ key: `k${(start + i) % 97}`, value: { id: start + i } }));
    await producer.send(TOPIC, records);
  }
  await producer.close();
  await crash;
  expect(killed).toBe(true);

  // The log holds every record once.
  const reader = spool.consumer<{ id: number }>({ topics: [TOPIC], from: 'earliest' });
  const stored = new Map<number, number>();
  await reader.run({
    eachBatch: ({ messages }) => {
      for (const message of messages) stored.set(message.value.id, (stored.get(message.value.id) ?? 0) + 1);
    },
  });
  const deadline = Date.now() + 60_000;
  while ((stored.size < RECORDS || consumed.size < RECORDS) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  await reader.close();
  expect(stored.size).toBe(RECORDS);
  expect([...stored.values()].every((count) => count === 1)).toBe(true);
  const description = await spool.admin.describeTopic(TOPIC);
  expect(description.partitionDetails.reduce((sum, p) => sum + p.highWatermark - p.logStartOffset, 0)).toBe(RECORDS);

  // The group consumer came back by itself and saw everything (at least once).
  expect(consumed.size).toBe(RECORDS);
  await consumer.close();
  await spool.close();
}, 120_000);
