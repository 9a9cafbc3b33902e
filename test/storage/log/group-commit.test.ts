/**
 * Durability policies. flush=always: no append is acknowledged before an fdatasync that started
 * after its bytes were written, and concurrent appends share syncs (group commit). flush=never:
 * no sync per append. interval:<ms>: a sync within the interval.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../../storage/codec/record-batch.js';
import { type FileSystem, nodeFileSystem } from '../../../storage/io/file-system.js';
import { LogManager } from '../../../storage/log/log-manager.js';

type Event = { kind: 'write'; lastOffset: number } | { kind: 'sync-start' } | { kind: 'sync-end' } | { kind: 'ack'; lastOffset: number };

let root = '';
let manager: LogManager | null = null;
afterEach(async () => {
  await manager?.close();
  await rm(root, { recursive: true, force: true });
});

async function openRecording(flush: string) {
  const events: Event[] = [];
  let writtenUpTo = -1;
  const fs: FileSystem = {
    ...nodeFileSystem,
    writev: async (fd, buffers, position) => {
      await nodeFileSystem.writev(fd, buffers, position);
      events.push({ kind: 'write', lastOffset: (writtenUpTo += buffers.length) });
    },
    fdatasync: async (fd) => {
      events.push({ kind: 'sync-start' });
      await new Promise((resolve) => setTimeout(resolve, 2)); // a disk that takes a moment
      await nodeFileSystem.fdatasync(fd);
      events.push({ kind: 'sync-end' });
    },
  };
  root = await mkdtemp(join(tmpdir(), 'spool-flush-'));
  manager = await LogManager.open({ root, fs });
  const [log] = await manager.openTopic('t', 1, { flush: flush as 'always' });
  return { log: log!, events };
}

const batch = () => encodeRecordBatch([{ value: Buffer.from('x') }]);

describe('durability policies', () => {
  it('flush=always: 64 concurrent appends share fdatasyncs and none is acknowledged before its sync', async () => {
    const { log, events } = await openRecording('always');
    events.length = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        const result = await log.append(batch());
        events.push({ kind: 'ack', lastOffset: result.lastOffset });
      }),
    );
    const syncs = events.filter((event) => event.kind === 'sync-end').length;
    expect(syncs).toBeGreaterThan(0);
    expect(syncs).toBeLessThan(64 / 4);
    // Each ack must follow a sync that started after the write holding its offset.
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      if (event.kind !== 'ack') continue;
      const writeAt = events.findIndex((candidate) => candidate.kind === 'write' && candidate.lastOffset >= event.lastOffset);
      expect(writeAt).toBeGreaterThanOrEqual(0);
      expect(writeAt).toBeLessThan(i);
      const syncStart = events.findIndex((candidate, at) => at > writeAt && candidate.kind === 'sync-start');
      const syncEnd = events.findIndex((candidate, at) => at > syncStart && candidate.kind === 'sync-end');
      expect(syncStart).toBeGreaterThan(writeAt);
      expect(syncEnd).toBeLessThan(i);
    }
  });

  it('flush=never: appends are acknowledged without any fdatasync', async () => {
    const { log, events } = await openRecording('never');
    events.length = 0;
    for (let i = 0; i < 20; i++) await log.append(batch());
    expect(events.filter((event) => event.kind === 'sync-start')).toHaveLength(0);
  });

  it('flush=interval:<ms>: written data is synced in the background within the interval', async () => {
    const { log, events } = await openRecording('interval:20');
    events.length = 0;
    await log.append(batch());
    expect(events.filter((event) => event.kind === 'sync-end')).toHaveLength(0);
    for (let waited = 0; waited < 2000 && !events.some((event) => event.kind === 'sync-end'); waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(events.some((event) => event.kind === 'sync-end')).toBe(true);
  });
});
