/**
 * Many partitions: 2,000 partitions across 10 topics (30 times the file cache's bound of 64), every one written to and read back, while the
 * segment files held open stay within the file cache's bound (storage/limits.ts
 * openSegmentFilesMax, exported as the broker's spool_open_segment_files gauge), and so do the
 * process's descriptors: a broker with many partitions must not run out of them.
 */
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeRecordBatches, encodeRecordBatch } from '../../storage/index.js';
import { LogManager } from '../../storage/log/log-manager.js';

const TOPICS = 10;
const PARTITIONS_PER_TOPIC = 200;
const OPEN_FILES_MAX = 64;
let root = '';
afterAll(async () => rm(root, { recursive: true, force: true }));

const openDescriptors = () => readdirSync('/proc/self/fd').length;

/** Descriptors the cache evicted are closed in the background: wait (boundedly) for them to go. */
async function settledDescriptors(bound: number): Promise<number> {
  for (let attempt = 0; attempt < 200 && openDescriptors() > bound; attempt++) await new Promise((resolve) => setTimeout(resolve, 10));
  return openDescriptors();
}

describe('many partitions', () => {
  it(`keeps open segment files within the cache bound with ${TOPICS * PARTITIONS_PER_TOPIC} partitions all written`, { timeout: 180_000 }, async () => {
    root = await mkdtemp(join(tmpdir(), 'spool-many-'));
    const descriptorsBefore = openDescriptors();
    const manager = await LogManager.open({ root, maxOpenFiles: OPEN_FILES_MAX });
    let mostOpen = 0;
    for (let t = 0; t < TOPICS; t++) {
      const logs = await manager.openTopic(`t${t}`, PARTITIONS_PER_TOPIC, { flush: 'never' });
      await Promise.all(logs.map((log) => log.append(encodeRecordBatch([{ value: Buffer.from(`t${t}/${log.partition}`) }]))));
      mostOpen = Math.max(mostOpen, manager.cache.openFiles);
      expect(await settledDescriptors(descriptorsBefore + OPEN_FILES_MAX + 16)).toBeLessThanOrEqual(descriptorsBefore + OPEN_FILES_MAX + 16);
    }
    expect(mostOpen).toBeLessThanOrEqual(OPEN_FILES_MAX);
    for (let t = 0; t < TOPICS; t++) {
      for (const log of manager.partitions(`t${t}`)) {
        expect(log.highWatermark).toBe(1);
        const values = decodeRecordBatches((await log.read(0, 1024)).data).flatMap((batch) => batch.records.map((record) => record.value!.toString()));
        expect(values).toEqual([`t${t}/${log.partition}`]);
      }
      expect(manager.cache.openFiles).toBeLessThanOrEqual(OPEN_FILES_MAX);
      expect(await settledDescriptors(descriptorsBefore + OPEN_FILES_MAX + 16)).toBeLessThanOrEqual(descriptorsBefore + OPEN_FILES_MAX + 16);
    }
    await manager.close();
    expect(await settledDescriptors(descriptorsBefore + 4)).toBeLessThanOrEqual(descriptorsBefore + 4);
  });
});
