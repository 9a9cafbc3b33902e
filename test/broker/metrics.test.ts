/**
 * GET /metrics as an operator alerts on it: gauges current at the scrape, group lag and queue
 * depth, bounded label cardinality, and no series left behind by deleted topics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startBroker, type TestBroker } from './support/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker({ limits: { metricsLagSeriesMax: 3 } });
});
afterAll(async () => broker.close());

const post = (path: string, json: unknown = {}) => call(`${broker.url}${path}`, { method: 'POST', json });
const scrape = () => fetch(`${broker.url}/metrics`).then((response) => response.text());

/** The value of one series, or undefined when the scrape does not have it. */
function valueOf(text: string, name: string, labels: Record<string, string | number> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const braces = /^[^{ ]+(?:\{([^}]*)\})? (\S+)$/.exec(line);
    const have = braces?.[1]?.split(',') ?? [];
    if (wanted.every((pair) => have.includes(pair))) return Number(braces![2]);
  }
  return undefined;
}

async function createTopic(name: string, partitions = 1) {
  expect((await post('/v1/topics', { name, partitions })).status).toBe(201);
}

async function produce(topic: string, count: number, extra: Record<string, unknown> = {}) {
  const records = Array.from({ length: count }, (_, i) => ({ value: i, partition: 0, ...extra }));
  expect((await post(`/v1/topics/${topic}/records`, { records })).status).toBe(200);
}

describe('metrics', () => {
  it('shows partition gauges as they are at the scrape, not one scrape late', async () => {
    await createTopic('gauges');
    await produce('gauges', 3);
    let text = await scrape();
    expect(valueOf(text, 'spool_partition_high_watermark', { topic: 'gauges', partition: 0 })).toBe(3);
    expect(valueOf(text, 'spool_partition_segments', { topic: 'gauges', partition: 0 })).toBe(1);
    expect(valueOf(text, 'spool_partition_bytes', { topic: 'gauges', partition: 0 })).toBeGreaterThan(0);
    await produce('gauges', 2);
    text = await scrape();
    expect(valueOf(text, 'spool_partition_high_watermark', { topic: 'gauges', partition: 0 })).toBe(5);
  });

  it('removes every series of a deleted topic', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `_reply.gone-${i}`);
    for (const name of names) {
      await createTopic(name);
      await produce(name, 1);
      expect((await call(`${broker.url}/v1/topics/${name}/partitions/0/records?offset=0`)).status).toBe(200);
    }
    expect(await scrape()).toContain('spool_records_in_total{topic="_reply.gone-0"} 1');
    for (const name of names) expect((await call(`${broker.url}/v1/topics/${name}`, { method: 'DELETE' })).status).toBe(204);
    expect(await scrape()).not.toContain('gone-');
  });

  it('shows consumer-group lag in records and seconds per group, topic and partition', async () => {
    await createTopic('lagging', 2);
    const minuteAgo = Date.now() - 60_000;
    await produce('lagging', 10, { timestamp: minuteAgo });
    expect((await post('/v1/groups/billing/offsets', { offsets: [{ topic: 'lagging', partition: 0, offset: 4 }, { topic: 'lagging', partition: 1, offset: 0 }] })).status).toBe(200);
    const text = await scrape();
    expect(valueOf(text, 'spool_group_lag_records', { group: 'billing', topic: 'lagging', partition: 0 })).toBe(6);
    expect(valueOf(text, 'spool_group_lag_seconds', { group: 'billing', topic: 'lagging', partition: 0 })).toBeGreaterThanOrEqual(60);
    expect(valueOf(text, 'spool_group_lag_records', { group: 'billing', topic: 'lagging', partition: 1 })).toBe(0);
    expect(valueOf(text, 'spool_group_lag_seconds', { group: 'billing', topic: 'lagging', partition: 1 })).toBe(0);
  });

  it('bounds group-lag series by metricsLagSeriesMax and counts the rest', async () => {
    await createTopic('wide', 4);
    expect((await post('/v1/groups/wide-group/offsets', { offsets: [0, 1, 2, 3].map((partition) => ({ topic: 'wide', partition, offset: 0 })) })).status).toBe(200);
    const text = await scrape();
    const lagLines = text.split('\n').filter((line) => line.startsWith('spool_group_lag_records{'));
    expect(lagLines).toHaveLength(3);
    // billing's 2 partitions and wide-group's 4: 3 shown, 3 counted.
    expect(valueOf(text, 'spool_group_lag_series_omitted')).toBe(3);
  });

  it('shows queue depth, in-flight and dead-lettered counts', async () => {
    await createTopic('jobs');
    expect((await call(`${broker.url}/v1/topics/jobs/queues/workers`, { method: 'PUT', json: {} })).status).toBe(201);
    await produce('jobs', 5);
    const received = await post('/v1/topics/jobs/queues/workers/receive', { max: 2 });
    expect(received.body.messages).toHaveLength(2);
    expect((await post('/v1/topics/jobs/queues/workers/reject', { receipts: [received.body.messages[0].receipt] })).status).toBe(200);
    const text = await scrape();
    expect(valueOf(text, 'spool_queue_available', { topic: 'jobs', queue: 'workers' })).toBe(3);
    expect(valueOf(text, 'spool_queue_in_flight', { topic: 'jobs', queue: 'workers' })).toBe(1);
    expect(valueOf(text, 'spool_queue_dead_lettered', { topic: 'jobs', queue: 'workers' })).toBe(1);
    expect((await call(`${broker.url}/v1/topics/jobs`, { method: 'DELETE' })).status).toBe(204);
    expect(await scrape()).not.toMatch(/topic="jobs"/);
  });

  it('has the fdatasync latency histogram', async () => {
    const text = await scrape();
    expect(valueOf(text, 'spool_fdatasync_duration_seconds_count')).toBeGreaterThan(0);
  });
});
