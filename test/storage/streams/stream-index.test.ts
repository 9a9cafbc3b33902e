import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../../storage/codec/record-batch.js';
import { type FileSystem, nodeFileSystem } from '../../../storage/io/file-system.js';
import { LogManager } from '../../../storage/log/log-manager.js';
import type { PartitionLog } from '../../../storage/log/partition-log.js';
import { useTempLogs } from '../support/temp-logs.js';

const logs = useTempLogs('streams');
const STREAMS = { streamIndex: true, segmentBytes: 2048, retentionMs: -1 } as const;

function eventsOf(stream: string, values: string[]): Buffer {
  return encodeRecordBatch(values.map((value) => ({ key: Buffer.from(stream), value: Buffer.from(value) })), { timestamp: 1_700_000_000_000 });
}

async function offsetsOf(log: PartitionLog, stream: string): Promise<number[]> {
  return (await log.streamOffsets(Buffer.from(stream))).offsets;
}

/** Appends interleaved events of a few streams, enough to seal several segments. */
async function fill(log: PartitionLog): Promise<Map<string, number[]>> {
  const expected = new Map<string, number[]>();
  for (let i = 0; i < 120; i++) {
    const stream = `order-${i % 7}`;
    const result = await log.append(eventsOf(stream, [`e${i}-${'x'.repeat(40)}`]));
    expected.set(stream, [...(expected.get(stream) ?? []), result.baseOffset]);
  }
  return expected;
}

describe('stream index', () => {
  it('maps each key to its offsets in order, across sealed segments and the active one', async () => {
    const [log] = await logs.manager.openTopic('orders', 1, STREAMS);
    const expected = await fill(log!);
    expect(log!.stats().segments).toBeGreaterThan(3);
    for (const [stream, offsets] of expected) expect(await offsetsOf(log!, stream)).toEqual(offsets);
    expect(await offsetsOf(log!, 'order-unknown')).toEqual([]);
    const listed = await log!.listStreams(Buffer.from('order-'), 100);
    expect(listed.keys.map(String)).toEqual([...expected.keys()].sort());
    expect((await log!.listStreams(Buffer.from('order-'), 3)).more).toBe(true);
  });

  it('keeps the same answers after a restart, clean or not', async () => {
    const [log] = await logs.manager.openTopic('orders', 1, STREAMS);
    const expected = await fill(log!);
    await logs.reopen();
    const [reopened] = await logs.manager.openTopic('orders', 1, STREAMS);
    for (const [stream, offsets] of expected) expect(await offsetsOf(reopened!, stream)).toEqual(offsets);
  });

  it('rebuilds deleted or damaged .keys files from the log, reads unchanged', async () => {
    const [log] = await logs.manager.openTopic('orders', 1, STREAMS);
    const expected = await fill(log!);
    await logs.manager.close();
    const dir = join(logs.root, 'orders', '0');
    const keyFiles = (await readdir(dir)).filter((name) => name.endsWith('.keys')).sort();
    expect(keyFiles.length).toBeGreaterThan(2);
    await rm(join(dir, keyFiles[0]!));
    const damaged = await readFile(join(dir, keyFiles[1]!));
    damaged[damaged.length - 3]! ^= 0xff;
    await writeFile(join(dir, keyFiles[1]!), damaged);
    await writeFile(join(dir, keyFiles[2]!), damaged.subarray(0, 20)); // short, and of another segment
    const rebuilt: string[] = [];
    await logs.reopen();
    const [reopened] = await logs.manager.openTopic('orders', 1, STREAMS);
    const streams = (reopened as unknown as { state: { streams: { onRebuilt: (path: string) => void } } }).state.streams;
    streams.onRebuilt = (path) => rebuilt.push(path.slice(path.lastIndexOf('/') + 1));
    for (const [stream, offsets] of expected) expect(await offsetsOf(reopened!, stream)).toEqual(offsets);
    expect(rebuilt.sort()).toEqual(keyFiles.slice(0, 3));
    expect((await readFile(join(dir, keyFiles[1]!))).equals(damaged)).toBe(false);
  });

  it('opens without reading the index; loads it at first use, by a lookup or a plain append, and keeps it over a close that never used it', async () => {
    const [log] = await logs.manager.openTopic('orders', 1, STREAMS);
    const expected = await fill(log!);
    await logs.manager.close();
    const keysRead: string[] = [];
    const counting: FileSystem = {
      ...nodeFileSystem,
      readFile: (path) => {
        if (path.endsWith('.keys')) keysRead.push(path);
        return nodeFileSystem.readFile(path);
      },
    };
    const openCounting = async () => {
      logs.manager = await LogManager.open({ root: logs.root, fs: counting });
      return (await logs.manager.openTopic('orders', 1, STREAMS))[0]!;
    };
    await openCounting();
    expect(keysRead).toEqual([]); // the active table (~20 records here, ~500,000 in a full segment) waits
    await logs.manager.close(); // never used: its saved table stays as it was
    const reopened = await openCounting();
    expect(keysRead).toEqual([]);
    const plain = await reopened.append(eventsOf('order-3', ['after the restart']));
    expect(keysRead.length).toBe(1); // the active segment's, for the append's keyed record
    expected.get('order-3')!.push(plain.baseOffset);
    for (const [stream, offsets] of expected) expect(await offsetsOf(reopened, stream)).toEqual(offsets);
  });

  it('loads the active table again from the start after a load that failed half-way', async () => {
    const [log] = await logs.manager.openTopic('orders', 1, { ...STREAMS, segmentBytes: 8 * 1024 * 1024 });
    const expected: number[] = [];
    for (let i = 0; i < 150; i++) {
      const { baseOffset } = await log!.append(encodeRecordBatch(Array.from({ length: 100 }, (_, n) => ({ key: Buffer.from(`order-${n % 10}`), value: Buffer.alloc(80, n) }))));
      for (let n = 0; n < 100; n += 10) expected.push(baseOffset + n);
    }
    await logs.manager.close();
    const dir = join(logs.root, 'orders', '0');
    for (const name of (await readdir(dir)).filter((file) => file.endsWith('.keys'))) await rm(join(dir, name)); // the load scans the 1.4 MB log
    let armed = false;
    let reads = 0;
    const failing: FileSystem = {
      ...nodeFileSystem,
      read: (...args) => {
        if (armed && ++reads === 2) return Promise.reject(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }));
        return nodeFileSystem.read(...args);
      },
    };
    logs.manager = await LogManager.open({ root: logs.root, fs: failing });
    const [reopened] = await logs.manager.openTopic('orders', 1, STREAMS);
    armed = true;
    await expect(offsetsOf(reopened!, 'order-0')).rejects.toThrow(/EIO/);
    expect(reads).toBe(2); // the first 1 MiB chunk was indexed before the failure
    expect(await offsetsOf(reopened!, 'order-0')).toEqual(expected);
  });

  it('tells keys apart byte for byte, binary keys included', async () => {
    const [log] = await logs.manager.openTopic('binary', 1, STREAMS);
    const keys = [Buffer.from([0xff, 0x00]), Buffer.from([0xff, 0x00, 0x00]), Buffer.from([0xc3, 0xa9]), Buffer.from('é')];
    const written = new Map<string, number[]>();
    for (let round = 0; round < 30; round++) {
      for (const key of keys) {
        const result = await log!.append(encodeRecordBatch([{ key, value: Buffer.alloc(60, round) }]));
        written.set(key.toString('hex'), [...(written.get(key.toString('hex')) ?? []), result.baseOffset]);
      }
    }
    expect(log!.stats().segments).toBeGreaterThan(2);
    for (const key of keys) expect((await log!.streamOffsets(key)).offsets).toEqual(written.get(key.toString('hex')));
  });

  it('refuses stream lookups on a topic without the index', async () => {
    const [log] = await logs.manager.openTopic('plain', 1);
    await expect(log!.streamOffsets(Buffer.from('a'))).rejects.toMatchObject({ code: 'SPOOL_ERR_STREAMS_NOT_ENABLED' });
  });
});

describe('conditional appends', () => {
  it('writes only when the stream is at the expected version, and says which versions it got', async () => {
    const [log] = await logs.manager.openTopic('orders', 1, STREAMS);
    const key = Buffer.from('order-1');
    const first = await log!.append(eventsOf('order-1', ['a', 'b']), { stream: { key, expectedVersion: 'no_stream' } });
    expect(first.streamVersions).toEqual({ first: 0, last: 1 });
    await expect(log!.append(eventsOf('order-1', ['c']), { stream: { key, expectedVersion: 0 } })).rejects.toMatchObject({
      code: 'SPOOL_ERR_WRONG_EXPECTED_VERSION',
      context: { expectedVersion: 0, actualVersion: 1 },
    });
    await expect(log!.append(eventsOf('order-1', ['c']), { stream: { key, expectedVersion: 'no_stream' } })).rejects.toMatchObject({ context: { actualVersion: 1 } });
    await expect(log!.append(eventsOf('order-2', ['c']), { stream: { key: Buffer.from('order-2'), expectedVersion: 'exists' } })).rejects.toMatchObject({ context: { actualVersion: -1 } });
    expect(log!.highWatermark).toBe(2);
    const next = await log!.append(eventsOf('order-1', ['c']), { stream: { key, expectedVersion: 1 } });
    expect(next.streamVersions).toEqual({ first: 2, last: 2 });
    const any = await log!.append(eventsOf('order-1', ['d']), { stream: { key, expectedVersion: 'any' } });
    expect(any.streamVersions).toEqual({ first: 3, last: 3 });
  });

  it('lets exactly one of many concurrent appends win each version; other streams never conflict', async () => {
    const [log] = await logs.manager.openTopic('orders', 1, STREAMS);
    const key = Buffer.from('hot');
    const attempts = Array.from({ length: 20 }, (_, i) => log!.append(eventsOf('hot', [`w${i}`]), { stream: { key, expectedVersion: 'no_stream' } }));
    const others = Array.from({ length: 20 }, (_, i) => log!.append(eventsOf(`cold-${i}`, ['x']), { stream: { key: Buffer.from(`cold-${i}`), expectedVersion: 'no_stream' } }));
    const settled = await Promise.allSettled(attempts);
    expect(settled.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect((await Promise.allSettled(others)).every((result) => result.status === 'fulfilled')).toBe(true);
    expect(await offsetsOf(log!, 'hot')).toHaveLength(1);
  });

  it('forgets the versions of a failed write: the next append gets them', async () => {
    const [log] = await logs.manager.openTopic('orders', 1, STREAMS);
    const key = Buffer.from('order-9');
    await log!.append(eventsOf('order-9', ['a']), { stream: { key, expectedVersion: 'no_stream' } });
    const state = (log as unknown as { state: { fs: { writev: (...args: unknown[]) => Promise<void> } } }).state;
    const writev = state.fs.writev;
    state.fs.writev = () => Promise.reject(Object.assign(new Error('no space'), { code: 'ENOSPC' }));
    await expect(log!.append(eventsOf('order-9', ['b']), { stream: { key, expectedVersion: 0 } })).rejects.toMatchObject({ code: 'SPOOL_ERR_DISK_FULL' });
    state.fs.writev = writev;
    const retried = await log!.append(eventsOf('order-9', ['b']), { stream: { key, expectedVersion: 0 } });
    expect(retried.streamVersions).toEqual({ first: 1, last: 1 });
    expect(await offsetsOf(log!, 'order-9')).toEqual([0, retried.baseOffset]);
  });

  it('after a failed first write of [unkeyed, keyed], writes the next keyed record at the offset it left free', async () => {
    const [log] = await logs.manager.openTopic('orders', 1, { ...STREAMS, segmentBytes: 1 << 20 });
    const state = (log as unknown as { state: { fs: { writev: (...args: unknown[]) => Promise<void> } } }).state;
    const writev = state.fs.writev;
    state.fs.writev = () => Promise.reject(Object.assign(new Error('no space'), { code: 'ENOSPC' }));
    const first = encodeRecordBatch([{ key: null, value: Buffer.from('plain') }, { key: Buffer.from('order-1'), value: Buffer.from('e0') }]);
    await expect(log!.append(first)).rejects.toMatchObject({ code: 'SPOOL_ERR_DISK_FULL' });
    state.fs.writev = writev;
    const keyed = () => encodeRecordBatch([{ key: Buffer.from('order-1'), value: Buffer.from('e0') }]);
    expect((await log!.append(keyed())).baseOffset).toBe(0);
    expect((await log!.append(keyed())).baseOffset).toBe(1);
    expect(log!.highWatermark).toBe(2);
    expect(await offsetsOf(log!, 'order-1')).toEqual([0, 1]);
    expect((await log!.read(0, 1 << 20)).data.length).toBeGreaterThan(0);
  });
});
