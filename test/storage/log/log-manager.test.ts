/**
 * The LogManager's topic lifecycle as the disk sees it: a deleted topic's files are closed at once
 * (their space is free), and shutdown closes thousands of partitions without running out of
 * descriptors.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../../storage/codec/record-batch.js';
import type { PartitionLog } from '../../../storage/log/partition-log.js';
import { LogManager } from '../../../storage/log/log-manager.js';
import { type FileSystem, nodeFileSystem } from '../../../storage/io/file-system.js';
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

/**
 * Runs the compiled engine in a child process whose descriptors are capped (RLIMIT_NOFILE), as a
 * broker with tens of thousands of partitions is capped by its own limit: writes one record to
 * each of `partitions` partitions, closes the manager, reopens it. Prints what it saw as JSON.
 */
function runCapped(root: string, partitions: number, descriptorsMax: number): { closed: boolean; error?: string; cleanShutdown: boolean; highWatermarks: number[] } {
  const engine = join(import.meta.dirname, '../../../dist/storage/index.js');
  const script = `
    const { LogManager, encodeRecordBatch } = await import(${JSON.stringify(engine)});
    const root = ${JSON.stringify(root)};
    const manager = await LogManager.open({ root, maxOpenFiles: 32 });
    const logs = await manager.openTopic('many', ${partitions}, { flush: 'never' });
    // One at a time: an append holds its partition's descriptor only while its round runs.
    for (const log of logs) await log.append(encodeRecordBatch([{ value: Buffer.from('x') }]));
    let closed = true, error;
    await manager.close().catch((failure) => { closed = false; error = String(failure.message); });
    const reopened = await LogManager.open({ root, maxOpenFiles: 32 });
    const again = await reopened.openTopic('many', ${partitions}, { flush: 'never' });
    const highWatermarks = [...new Set(again.map((log) => log.highWatermark))];
    await reopened.close();
    console.log(JSON.stringify({ closed, error, cleanShutdown: reopened.cleanShutdown, highWatermarks }));
  `;
  const child = spawnSync('prlimit', [`--nofile=${descriptorsMax}`, process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(child.stderr).toBe('');
  return JSON.parse(child.stdout);
}

describe('shutdown', () => {
  it('closes partitions a few at a time: many partitions under a descriptor limit still shut down cleanly', async () => {
    const result = runCapped(logs.root, 600, 200);
    expect(result).toEqual({ closed: true, cleanShutdown: true, highWatermarks: [1] });
  });
});

/** nodeFileSystem with every call counted by name into `operations`. */
function countingFileSystem(operations: Map<string, number>): FileSystem {
  return Object.fromEntries(
    Object.entries(nodeFileSystem).map(([name, operation]) => [
      name,
      (...args: unknown[]) => {
        operations.set(name, (operations.get(name) ?? 0) + 1);
        return (operation as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  ) as unknown as FileSystem;
}

describe('a clean start', () => {
  // Start-up time with 10,000 partitions is the number of file operations per partition times the
  // disk's latency: each one here is a budgeted cost (issue 14 item 3).
  it('opens a cleanly closed partition with 8 file operations (13 before), records and indexes intact', async () => {
    const partitions = await logs.manager.openTopic('counted', 20, { flush: 'never' });
    for (const log of partitions) await fill(log, 3);
    await logs.manager.close();
    const operations = new Map<string, number>();
    logs.manager = await LogManager.open({ root: logs.root, fs: countingFileSystem(operations) });
    expect(logs.manager.cleanShutdown).toBe(true);
    operations.clear();
    const reopened = await logs.manager.openTopic('counted', 20, { flush: 'never' });
    expect(reopened.map((log) => log.highWatermark)).toEqual(Array(20).fill(3));
    const perPartition = Object.fromEntries([...operations].filter(([name]) => name !== 'fsyncDirectory').map(([name, count]) => [name, count / 20]));
    expect(perPartition).toEqual({ readdir: 1, readFile: 3, open: 1, fstat: 1, read: 1, close: 1 });
    expect((await reopened[0]!.read(1, 1)).data.length).toBeGreaterThan(0);
  });

  // A 10,000-partition broker took longer than its 10 s shutdown grace to rewrite every partition's
  // indexes and producer snapshot (7 fsyncs each), so it was killed before writing its marker and
  // every "clean" restart was a full recovery.
  it('closes partitions untouched since a clean start without writing or syncing anything; appended ones still saved', async () => {
    const partitions = await logs.manager.openTopic('idle', 20, { flush: 'never' });
    for (const log of partitions) await fill(log, 3);
    await logs.manager.close();
    const operations = new Map<string, number>();
    logs.manager = await LogManager.open({ root: logs.root, fs: countingFileSystem(operations) });
    const reopened = await logs.manager.openTopic('idle', 20, { flush: 'never' });
    await fill(reopened[7]!, 2);
    operations.clear();
    await logs.manager.close();
    // Partition 7: one fdatasync, its two indexes and its producer snapshot; the marker: one more write.
    expect({ writes: operations.get('writeFileAtomic'), syncs: operations.get('fdatasync') }).toEqual({ writes: 4, syncs: 1 });
    logs.manager = await LogManager.open({ root: logs.root, fs: countingFileSystem(operations) });
    expect(logs.manager.cleanShutdown).toBe(true);
    operations.clear();
    const again = await logs.manager.openTopic('idle', 20, { flush: 'never' });
    expect(again.map((log) => log.highWatermark)).toEqual(Array.from({ length: 20 }, (_, i) => (i === 7 ? 5 : 3)));
    expect(operations.get('fdatasync') ?? 0).toBe(0); // every partition trusted, none recovered
    expect((await again[7]!.read(4, 1)).data.length).toBeGreaterThan(0);
  });

  it('a partition never written is made without a recovery pass, closed without index files, and trusted after', async () => {
    const operations = new Map<string, number>();
    await logs.manager.close();
    logs.manager = await LogManager.open({ root: logs.root, fs: countingFileSystem(operations) });
    operations.clear();
    await logs.manager.openTopic('fresh', 10);
    expect(operations.get('fdatasync') ?? 0).toBe(0);
    expect(operations.get('writeFileAtomic') ?? 0).toBe(0);
    await logs.manager.close();
    expect(readdirSync(join(logs.root, 'fresh', '0'))).toEqual(['00000000000000000000.log']);
    logs.manager = await LogManager.open({ root: logs.root, fs: countingFileSystem(operations) });
    operations.clear();
    const reopened = await logs.manager.openTopic('fresh', 10);
    expect(operations.get('fdatasync') ?? 0).toBe(0);
    await fill(reopened[0]!, 2);
    await logs.manager.close();
    logs.manager = await LogManager.open({ root: logs.root });
    expect((await logs.manager.openTopic('fresh', 10)).map((log) => log.highWatermark)).toEqual([2, ...Array(9).fill(0)]);
  });
});
