/** Key compaction: last value per key, tombstones until their horizon, offsets and order kept, in a worker. */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { batchSizeAt, decodeRecordBatches, encodeRecordBatch } from '../../../storage/codec/record-batch.js';
import type { PartitionLog } from '../../../storage/log/partition-log.js';
import { useTempLogs } from '../support/temp-logs.js';

const logs = useTempLogs('compaction');

const DAY = 24 * 60 * 60 * 1000;

async function readAll(log: PartitionLog) {
  const records = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const read = await log.read(offset, 1 << 20);
    for (const batch of decodeRecordBatches(read.data)) for (const record of batch.records) if (record.offset >= offset) records.push(record);
    offset = read.nextOffset;
  }
  return records.map((record) => ({ offset: record.offset, key: record.key?.toString() ?? null, value: record.value?.toString() ?? null }));
}

async function write(log: PartitionLog, entries: Array<[string | null, string | null, number?]>) {
  for (const [key, value, timestamp] of entries) {
    await log.append(encodeRecordBatch([{ key: key === null ? null : Buffer.from(key), value: value === null ? null : Buffer.from(value.padEnd(40, '.')) }], { timestamp: timestamp ?? Date.now() }));
  }
}

describe('compaction', () => {
  it('keeps the last record per key at its offset, keeps key-less records, in a worker thread', async () => {
    const [log] = await logs.manager.openTopic('c', 1, { cleanupPolicy: 'compact', segmentBytes: 600 });
    const entries: Array<[string | null, string | null]> = [];
    for (let i = 0; i < 60; i++) entries.push([i % 7 === 0 ? null : `k${i % 5}`, `v${i}`]);
    await write(log!, entries);
    const before = await readAll(log!);
    const outcome = await log!.compact(Date.now(), true);
    expect(outcome).not.toBeNull();
    expect(outcome!.threadId).not.toBe(threadId);
    const after = await readAll(log!);
    // Offsets only ever increase, and each surviving record is unchanged at its offset.
    for (let i = 1; i < after.length; i++) expect(after[i]!.offset).toBeGreaterThan(after[i - 1]!.offset);
    for (const record of after) expect(before.find((candidate) => candidate.offset === record.offset)).toEqual(record);
    // Latest value of each key survives; nothing of a key but its latest survives in sealed segments.
    const activeBase = log!.activeSegment().baseOffset;
    for (let key = 0; key < 5; key++) {
      const ofKey = before.filter((record) => record.key === `k${key}`);
      const latest = ofKey[ofKey.length - 1]!;
      expect(after.filter((record) => record.key === `k${key}` && record.offset < activeBase).map((record) => record.offset)).toEqual(
        latest.offset < activeBase ? [latest.offset] : [],
      );
      expect(after).toContainEqual(latest);
    }
    expect(after.filter((record) => record.key === null)).toEqual(before.filter((record) => record.key === null));
    expect(after.length).toBeLessThan(before.length);
    expect(readdirSync(join(logs.root, 'c', '0')).filter((name) => /cleaned|swap/.test(name))).toEqual([]);
  });

  it('keeps tombstones before their horizon and drops them after', async () => {
    const [log] = await logs.manager.openTopic('t', 1, { cleanupPolicy: 'compact', segmentBytes: 300, deleteRetentionMs: DAY });
    const old = Date.now() - 3 * DAY;
    await write(log!, [['gone', 'v1', old], ['gone', null, old], ['fresh', 'v1'], ['fresh', null], ['pad1', 'x'], ['pad2', 'x'], ['pad3', 'x'], ['pad4', 'x']]);
    await log!.compact(Date.now(), true);
    const after = await readAll(log!);
    expect(after.filter((record) => record.key === 'gone')).toEqual([]);
    expect(after.filter((record) => record.key === 'fresh')).toEqual([{ offset: 3, key: 'fresh', value: null }]);
  });

  it('respects minCompactionLagMs and survives a reopen', async () => {
    const [log] = await logs.manager.openTopic('lag', 1, { cleanupPolicy: 'compact', segmentBytes: 300, minCompactionLagMs: DAY });
    await write(log!, Array.from({ length: 20 }, (_, i) => ['k', `v${i}`] as [string, string]));
    expect(await log!.compact(Date.now(), true)).toBeNull();
    const later = Date.now() + 2 * DAY;
    await log!.compact(later, true);
    const compacted = await readAll(log!);
    expect(compacted.length).toBeLessThan(20);
    await logs.reopen();
    const [reopened] = await logs.manager.openTopic('lag', 1, { cleanupPolicy: 'compact', segmentBytes: 300, minCompactionLagMs: DAY });
    expect(await readAll(reopened!)).toEqual(compacted);
    expect(reopened!.highWatermark).toBe(20);
  });

  it('readers running during the swap always get valid, correct records', async () => {
    const [log] = await logs.manager.openTopic('swap', 1, { cleanupPolicy: 'compact', segmentBytes: 400 });
    await write(log!, Array.from({ length: 80 }, (_, i) => [`k${i % 3}`, `v${i}`] as [string, string]));
    const truth = new Map((await readAll(log!)).map((record) => [record.offset, record]));
    let stop = false;
    const readers = Array.from({ length: 8 }, async () => {
      let reads = 0;
      while (!stop) {
        for (const record of await readAll(log!)) expect(truth.get(record.offset)).toEqual(record);
        reads++;
        // Small reads complete synchronously (file-system.ts): give the compaction's I/O its turn,
        // as a broker does between requests.
        await new Promise((resolve) => setImmediate(resolve));
      }
      return reads;
    });
    await log!.compact(Date.now(), true);
    stop = true;
    const counts = await Promise.all(readers);
    expect(counts.every((count) => count > 0)).toBe(true);
  });
});

describe('compaction of a damaged segment', () => {
  /** Byte positions of the batches of a `.log` file. */
  function batchPositions(bytes: Buffer): number[] {
    const positions = [];
    for (let at = 0; at < bytes.length; at += batchSizeAt(bytes, at)) positions.push(at);
    return positions;
  }

  const damages: Array<[string, (bytes: Buffer, at: number) => void]> = [
    ['an impossible batchLength', (bytes, at) => bytes.writeInt32BE(0x7fff_fff0, at + 8)],
    ['a batchLength below the header', (bytes, at) => bytes.writeInt32BE(3, at + 8)],
    ['a flipped record byte (bad CRC)', (bytes, at) => (bytes[at + 70] ^= 0xff)],
    ['a base offset past the segment', (bytes, at) => bytes.writeBigInt64BE(10_000n, at)],
  ];

  it.each(damages)('stops at %s naming the file and offset, leaving every segment as it was', async (_name, damage) => {
    const [log] = await logs.manager.openTopic('d', 1, { cleanupPolicy: 'compact', segmentBytes: 600 });
    await write(log!, Array.from({ length: 40 }, (_, i) => [`k${i % 3}`, `v${i}`] as [string, string]));
    const dir = join(logs.root, 'd', '0');
    const first = log!.sealedSegments()[0]!;
    const original = readFileSync(first.logPath);
    const positions = batchPositions(original);
    expect(positions.length).toBeGreaterThan(2);
    const damaged = Buffer.from(original);
    damage(damaged, positions[1]!);
    writeFileSync(first.logPath, damaged);
    const filesBefore = readdirSync(dir).sort();
    const failure = await log!.compact(Date.now(), true).then(() => null, (error: unknown) => error);
    expect(failure).toMatchObject({ code: 'SPOOL_ERR_CORRUPT_BATCH', context: { topic: 'd', partition: 0, path: first.logPath, position: positions[1], offset: first.baseOffset + 1 } });
    expect(readFileSync(first.logPath).equals(damaged)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(filesBefore);
    expect(log!.sealedSegments()[0]).toBe(first);
  });
});
