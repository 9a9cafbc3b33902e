/**
 * I/O faults on a real broker, injected through its FileSystem: fdatasync, write, read, open,
 * rename and atomic file writes fail with EIO, ENOSPC or EMFILE at chosen moments. (A plain full
 * disk on write is test/broker/disk-full.test.ts.) Each case checks what a user relies on: the
 * failing request gets a documented error (507 SPOOL_ERR_DISK_FULL for ENOSPC, 500 SPOOL_ERR_IO
 * naming the file and operation otherwise), nothing of it is acknowledged or served, not even after
 * a restart, reads keep working, every batch still passes its CRC, and writing resumes once the
 * fault is gone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { scanPartition } from '../../bench/lib/spool-http.js';
import { call, logState, startBroker, type TestBroker } from '../broker/support/broker.js';
import { faultyFileSystem, type FaultyFileSystem } from './support/faulty-fs.js';

let broker: TestBroker;
let faults: FaultyFileSystem;
afterEach(async () => {
  faults?.clear();
  await broker?.close();
});

async function start(topic: string, config: Record<string, unknown> = {}, partitions = 1): Promise<void> {
  faults = faultyFileSystem();
  broker = await startBroker({ fileSystem: faults.fs });
  expect((await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: topic, partitions, config } })).status).toBe(201);
}

async function restart(): Promise<void> {
  broker = await broker.restart();
}

const produce = (topic: string, value: string, partition = 0) =>
  call(`${broker.url}/v1/topics/${topic}/records`, { method: 'POST', json: { records: [{ value, partition }] } });

/** Every value of a partition, after checking every batch's CRC and that offsets are contiguous. */
async function values(topic: string, partition = 0): Promise<string[]> {
  const scan = await scanPartition(broker.url, topic, partition);
  expect(scan.badBatches).toEqual([]);
  expect(scan.gaps).toEqual([]);
  expect(scan.records.map((record) => record.offset)).toEqual(Array.from({ length: scan.highWatermark - scan.logStartOffset }, (_, i) => scan.logStartOffset + i));
  return scan.records.map((record) => JSON.parse(record.value!.toString()) as string);
}

function expectError(answer: { status: number; body: any }, status: number, code: string, operation?: string): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.body.error.code).toBe(code);
  if (operation) {
    expect(answer.body.error.operation).toBe(operation);
    expect(answer.body.error.path).toMatch(/\/topics\//);
  }
}

describe('I/O faults', () => {
  it('fdatasync EIO: 500 SPOOL_ERR_IO, the batch is not served, not even after a restart, and writes resume', async () => {
    await start('sync');
    expect((await produce('sync', 'before')).status).toBe(200);
    const before = await logState(broker.url, 'sync');
    faults.inject('fdatasync', 'EIO', { times: 1, path: /sync\/0\/\d+\.log$/ });
    expectError(await produce('sync', 'unsynced'), 500, 'SPOOL_ERR_IO', 'fdatasync');
    expect(await logState(broker.url, 'sync')).toEqual(before);
    expect(await values('sync')).toEqual(['before']);
    await restart();
    expect(await values('sync')).toEqual(['before']);
    expect((await produce('sync', 'after')).body.records[0].offset).toBe(1);
    expect(await values('sync')).toEqual(['before', 'after']);
  });

  it('a torn write then EIO: nothing of it is kept, and later writes land right after the last good batch', async () => {
    await start('torn');
    expect((await produce('torn', 'before')).status).toBe(200);
    faults.inject('writev', 'EIO', { times: 1, partialBytes: 30 });
    expectError(await produce('torn', 'torn'), 500, 'SPOOL_ERR_IO', 'write');
    expect(await values('torn')).toEqual(['before']);
    await restart();
    expect(await values('torn')).toEqual(['before']);
    faults.inject('writev', 'EIO', { times: 1, partialBytes: 30 });
    expectError(await produce('torn', 'torn again'), 500, 'SPOOL_ERR_IO', 'write');
    expect((await produce('torn', 'after')).body.records[0].offset).toBe(1);
    await restart();
    expect(await values('torn')).toEqual(['before', 'after']);
  });

  it('ENOSPC while a roll writes the sealed segment\'s indexes: 507, then the roll completes once space is back', async () => {
    await start('roll', { segmentBytes: 1024 });
    const big = (i: number) => `${i}`.padEnd(400, '.');
    for (let i = 0; i < 2; i++) expect((await produce('roll', big(i))).status).toBe(200);
    faults.inject('writeFileAtomic', 'ENOSPC', { path: /\.(index|timeindex)$/ });
    const before = await logState(broker.url, 'roll');
    expectError(await produce('roll', big(99)), 507, 'SPOOL_ERR_DISK_FULL');
    expect(await logState(broker.url, 'roll')).toEqual(before);
    faults.clear();
    for (let i = 2; i < 6; i++) expect((await produce('roll', big(i))).body.records[0].offset).toBe(i);
    expect((await call(`${broker.url}/v1/topics/roll`)).body.partitionDetails[0].segments).toBeGreaterThan(1);
    await restart();
    expect(await values('roll')).toEqual([0, 1, 2, 3, 4, 5].map(big));
  });

  it('EMFILE when a roll opens the new segment, or when a topic is created: 500, and both work once descriptors are back', async () => {
    await start('files', { segmentBytes: 1024 });
    const big = (i: number) => `${i}`.padEnd(400, '.');
    for (let i = 0; i < 2; i++) expect((await produce('files', big(i))).status).toBe(200);
    faults.inject('open', 'EMFILE');
    expectError(await produce('files', big(99)), 500, 'SPOOL_ERR_IO');
    expectError(await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'later', partitions: 2 } }), 500, 'SPOOL_ERR_IO');
    expect(await values('files')).toEqual([big(0), big(1)]);
    faults.clear();
    expect((await produce('files', big(2))).body.records[0].offset).toBe(2);
    expect((await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'later', partitions: 2 } })).status).toBe(201);
    await restart();
    expect(await values('files')).toEqual([0, 1, 2].map(big));
    expect((await call(`${broker.url}/v1/topics/later`)).body.partitions).toBe(2);
  });

  it('EIO on read: the fetch answers 500 SPOOL_ERR_IO naming the file, produce goes on, and reads work once it clears', async () => {
    await start('reads');
    expect((await produce('reads', 'one')).status).toBe(200);
    faults.inject('read', 'EIO', { path: /reads\/0\/\d+\.log$/ });
    expectError(await call(`${broker.url}/v1/topics/reads/partitions/0/records?offset=0`), 500, 'SPOOL_ERR_IO', 'read');
    expect((await produce('reads', 'two')).status).toBe(200);
    faults.clear();
    expect(await values('reads')).toEqual(['one', 'two']);
  });

  it('rename EIO during retention: the segment stays readable, and retention completes once renames work', async () => {
    await start('retain', { segmentBytes: 1024, retentionBytes: 1024 });
    const big = (i: number) => `${i}`.padEnd(400, '.');
    for (let i = 0; i < 8; i++) expect((await produce('retain', big(i))).status).toBe(200);
    const all = await values('retain');
    faults.inject('rename', 'EIO', { path: /\.log$/ });
    await broker.broker.logs.runCleanerOnce();
    const after = await values('retain');
    expect(all.slice(all.length - after.length)).toEqual(after);
    faults.clear();
    expect(await broker.broker.logs.runCleanerOnce()).toBeGreaterThan(0);
    const retained = await values('retain');
    expect(retained.length).toBeLessThan(all.length);
    expect(all.slice(all.length - retained.length)).toEqual(retained);
    await restart();
    expect(await values('retain')).toEqual(retained);
    expect((await produce('retain', big(8))).body.records[0].offset).toBe(8);
  });
});
