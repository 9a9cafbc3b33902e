/**
 * kcat (librdkafka) against the Kafka listener: metadata, produce of 10,000 lines under each
 * compression the storage codec offers, read back byte-exact, offsets for a time, a tail read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Compression, isSupportedCompression } from '../../../storage/index.js';
import { call, startBroker, type TestBroker } from '../support/broker.js';
import { kcat } from './support/kcat.js';

const LINES = 10_000;
const lines = Array.from({ length: LINES }, (_, i) => `line ${i} ${'x'.repeat(i % 50)} ü ✓`);
const input = `${lines.join('\n')}\n`;

let broker: TestBroker;
let address: string;

beforeAll(async () => {
  broker = await startBroker({ kafka: true, flush: 'never' });
  address = broker.kafka!.address;
});

afterAll(async () => {
  await broker?.close();
});

describe('kcat', () => {
  it('-L lists the broker, the controller and the topics with their partitions', async () => {
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'listed', partitions: 3 } });
    const run = await kcat(['-b', address, '-L', '-J']);
    expect(run.code).toBe(0);
    const metadata = JSON.parse(run.stdout.toString());
    expect(metadata.brokers).toEqual([{ id: 0, name: address }]);
    expect(metadata.controllerid).toBe(0);
    const listed = metadata.topics.find((topic: { topic: string }) => topic.topic === 'listed');
    expect(listed.partitions.map((p: { partition: number; leader: number }) => [p.partition, p.leader])).toEqual([[0, 0], [1, 0], [2, 0]]);
  });

  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
    it.skipIf(!isSupportedCompression(Compression[codec]))(`-P of ${LINES} lines with -z ${codec}, read back byte-exact with -C -o beginning -e`, async () => {
      const topic = `lines-${codec}`;
      const produced = await kcat(['-b', address, '-P', '-t', topic, '-p', '0', '-z', codec], input);
      expect(produced.stderr).not.toContain('ERROR');
      expect(produced.code).toBe(0);
      const consumed = await kcat(['-b', address, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q']);
      expect(consumed.code).toBe(0);
      expect(consumed.stdout.toString()).toBe(input);
      // The same records over HTTP, at the same offsets.
      const http = await call(`${broker.url}/v1/topics/${topic}/partitions/0/records?offset=0&maxBytes=64&valueFormat=string`);
      expect(http.body.records[0]).toMatchObject({ offset: 0, value: lines[0] });
    });
  }

  it('-C -o -5 reads the last five records', async () => {
    await kcat(['-b', address, '-P', '-t', 'tail', '-p', '0'], input);
    const run = await kcat(['-b', address, '-C', '-t', 'tail', '-p', '0', '-o', '-5', '-e', '-q', '-f', '%o %s\n']);
    expect(run.code).toBe(0);
    expect(run.stdout.toString()).toBe(lines.slice(-5).map((line, i) => `${LINES - 5 + i} ${line}\n`).join(''));
  });

  it('-Q answers the first offset at or after a time, and -1 past the last record', async () => {
    const topic = 'timed';
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: topic } });
    const records = [1_000, 2_000, 3_000].map((timestamp, i) => ({ value: `at ${timestamp}`, timestamp: 1_700_000_000_000 + timestamp, partition: 0, key: String(i) }));
    for (const record of records) await call(`${broker.url}/v1/topics/${topic}/records`, { method: 'POST', json: { records: [record] } });
    const between = await kcat(['-b', address, '-Q', '-t', `${topic}:0:${1_700_000_001_500}`]);
    expect(between.stdout.toString()).toContain('offset 1');
    const after = await kcat(['-b', address, '-Q', '-t', `${topic}:0:${1_700_000_009_000}`]);
    expect(after.stdout.toString()).toContain('offset -1');
  });
});
