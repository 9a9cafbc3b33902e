/** GET /v1/stats against a real broker: what it holds matches the topics' own descriptions and rates follow produce traffic. */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { call, startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker;
afterEach(async () => broker?.close());

const packageVersion = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('GET /v1/stats', () => {
  it('answers version, uptime, sizes, disk and per-topic figures matching the topic descriptions', async () => {
    broker = await startBroker({ flush: 'never', limits: { statsSampleIntervalMs: 50 } });
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'orders', partitions: 2, config: { retentionMs: 60_000 } } });
    const records = Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: { i } }));
    expect((await call(`${broker.url}/v1/topics/orders/records`, { method: 'POST', json: { records } })).status).toBe(200);
    const described = (await call(`${broker.url}/v1/topics/orders`)).body;
    const topicBytes = described.partitionDetails.reduce((sum: number, partition: { bytes: number }) => sum + partition.bytes, 0);

    const stats = await vi.waitFor(async () => {
      const answer = await call(`${broker.url}/v1/stats?history=300`);
      expect(answer.status).toBe(200);
      expect(answer.body.topics[0].recordsInPerSec).toBeGreaterThan(0);
      return answer.body;
    });
    expect(stats.version).toBe(packageVersion);
    expect(stats.dataDir).toBe(broker.dataDir);
    expect(stats.dataDirBytes).toBeGreaterThan(topicBytes); // the segments plus spool.db
    expect(stats.disk.freeBytes).toBeGreaterThan(0);
    expect(stats.disk.totalBytes).toBeGreaterThanOrEqual(stats.disk.freeBytes);
    expect(stats.connections).toBeGreaterThanOrEqual(1);
    expect(stats.topics).toEqual([
      expect.objectContaining({ name: 'orders', partitions: 2, bytes: topicBytes, segments: 2, retentionMs: 60_000, retentionBytes: -1, cleanupPolicy: 'delete' }),
    ]);
    expect(stats.history.intervalMs).toBe(50);
    expect(stats.history.points.some((point: { recordsInPerSec: number }) => point.recordsInPerSec > 0)).toBe(true);
    expect(stats.rates.recordsInPerSec).toBeGreaterThanOrEqual(0);
  });

  it('bounds the history asked for', async () => {
    broker = await startBroker({ flush: 'never' });
    expect((await call(`${broker.url}/v1/stats?history=0`)).body.history.points).toEqual([]);
    for (const history of ['301', '-1', '1.5', 'all', String(2 ** 53 + 1)]) {
      const answer = await call(`${broker.url}/v1/stats?history=${history}`);
      expect(answer.status, history).toBe(400);
      expect(answer.body.error.code).toBe('SPOOL_ERR_BAD_REQUEST');
    }
  });
});
