/**
 * The LogManager's topic lifecycle as the disk sees it: a deleted topic's files are closed at once
 * (their space is free), and shutdown closes thousands of partitions without running out of
 * descriptors.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../../storage/codec/record-batch.js';
import type { PartitionLog } from '../../../storage/log/partition-log.js';
import { useTempLogs } from '../support/temp-logs.js';

const logs = useTempLogs('manager');

/** Files under `dir` that this process holds a descriptor on (deleted ones end with " (deleted)"). */
function descriptorsUnder(dir: string): string[] {
  const held: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir)) held.push(target);
    } catch {
      // closed between the listing and the readlink
    }
  }
  return held;
}

async function fill(log: PartitionLog, records: number): Promise<void> {
  for (let i = 0; i < records; i++) await log.append(encodeRecordBatch([{ key: Buffer.from(`k${i}`), value: Buffer.alloc(200, i) }]));
}

describe('deleting a topic', () => {
  it('closes every descriptor of its segments before it returns, so its disk space is free', async () => {
    const partitions = await logs.manager.openTopic('fill', 3, { segmentBytes: 1024 });
    for (const log of partitions) await fill(log, 20);
    // Reads open the sealed segments' descriptors in the shared cache, as consumers do.
    for (const log of partitions) for (let offset = 0; offset < log.highWatermark; offset++) await log.read(offset, 1);
    const dir = join(logs.root, 'fill');
    expect(partitions[0]!.sealedSegments().length).toBeGreaterThan(3);
    expect(descriptorsUnder(dir).length).toBeGreaterThan(partitions.length);
    await logs.manager.deleteTopic('fill');
    expect(descriptorsUnder(dir)).toEqual([]);
  });

  it('lets a read in flight finish, then closes its descriptor; later reads answer SPOOL_ERR_LOG_CLOSED', async () => {
    const [log] = await logs.manager.openTopic('busy', 1, { segmentBytes: 1024 });
    await fill(log!, 20);
    const dir = join(logs.root, 'busy');
    const reads = Array.from({ length: 20 }, (_, offset) => log!.read(offset, 4096).then(
      (read) => read.data.length > 0,
      (error: { code?: string }) => error.code,
    ));
    await logs.manager.deleteTopic('busy');
    for (const outcome of await Promise.all(reads)) expect([true, 'SPOOL_ERR_LOG_CLOSED']).toContain(outcome);
    await expect(log!.read(0, 4096)).rejects.toMatchObject({ code: 'SPOOL_ERR_LOG_CLOSED' });
    await expect(log!.offsetForTimestamp(0)).rejects.toMatchObject({ code: 'SPOOL_ERR_LOG_CLOSED' });
    expect(descriptorsUnder(dir)).toEqual([]);
  });

  it('frees the descriptors of many short-lived topics', async () => {
    for (let i = 0; i < 40; i++) {
      const [log] = await logs.manager.openTopic(`tmp-${i}`, 1, { segmentBytes: 1024 });
      await fill(log!, 8);
      await log!.read(0, 1);
      await logs.manager.deleteTopic(`tmp-${i}`);
    }
    expect(descriptorsUnder(logs.root)).toEqual([]);
  });
});
