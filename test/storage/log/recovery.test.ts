/**
 * One test per row of the recovery decision table (storage/log/recovery.ts). Each builds a real
 * partition folder through the engine, closes or abandons it, damages files on disk, reopens it
 * and checks what a user relies on: whole batches before the damage are kept and readable, the
 * damage is cut off, indexes work, and appends continue at the right offset.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeRecordBatches, encodeRecordBatch } from '../../../storage/codec/record-batch.js';
import { type FileSystem, nodeFileSystem } from '../../../storage/io/file-system.js';
import { cleanShutdownMarkerPath, LogManager } from '../../../storage/log/log-manager.js';
import { segmentFileName } from '../../../storage/log/segment-files.js';

let root: string;
const open: LogManager[] = [];
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'spool-recovery-'));
});
afterEach(async () => {
  for (const manager of open.splice(0)) await manager.close().catch(() => {});
  await rm(root, { recursive: true, force: true });
});

const dir = () => join(root, 't', '0');
const file = (base: number, suffix: '.log' | '.index' | '.timeindex') => join(dir(), segmentFileName(base, suffix));

async function openLog(config: Record<string, unknown> = {}, fs?: FileSystem) {
  const manager = await LogManager.open({ root, fs });
  open.push(manager);
  const [log] = await manager.openTopic('t', 1, { indexIntervalBytes: 64, ...config });
  return { manager, log: log! };
}

/** Writes `count` one-record batches; closes cleanly unless `crash`. Returns each batch's byte end. */
async function writeBatches(count: number, options: { crash?: boolean; config?: Record<string, unknown> } = {}): Promise<number[]> {
  const { manager, log } = await openLog(options.config);
  const ends: number[] = [];
  let size = 0;
  for (let i = 0; i < count; i++) {
    const batch = encodeRecordBatch([{ key: Buffer.from(`k${i}`), value: Buffer.from(`value-${i}`) }], { timestamp: 1_000_000 + i * 10 });
    await log.append(batch);
    size += batch.length;
    ends.push(size);
  }
  if (options.crash) {
    // Leave without close(): no clean-shutdown marker, no final index files.
    open.splice(open.indexOf(manager), 1);
  } else {
    await manager.close();
    open.splice(open.indexOf(manager), 1);
  }
  return ends;
}

async function readAll(log: Awaited<ReturnType<typeof openLog>>['log']): Promise<string[]> {
  const values: string[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const read = await log.read(offset, 1 << 20);
    for (const batch of decodeRecordBatches(read.data)) for (const record of batch.records) if (record.offset >= offset) values.push(record.value!.toString());
    offset = read.nextOffset;
  }
  return values;
}

const expected = (count: number) => Array.from({ length: count }, (_, i) => `value-${i}`);

describe('recovery decision table', () => {
  it('row 9: a tail torn inside a header is cut at the last whole batch', async () => {
    const ends = await writeBatches(10, { crash: true });
    truncateSync(file(0, '.log'), ends[6]! + 20);
    const { log } = await openLog();
    expect(log.highWatermark).toBe(7);
    expect(statSync(file(0, '.log')).size).toBe(ends[6]);
    expect(await readAll(log)).toEqual(expected(7));
    expect((await log.append(encodeRecordBatch([{ value: Buffer.from('next') }]))).baseOffset).toBe(7);
  });

  it('row 9: a tail torn inside the records is cut at the last whole batch', async () => {
    const ends = await writeBatches(10, { crash: true });
    truncateSync(file(0, '.log'), ends[8]! - 3);
    const { log } = await openLog();
    expect(log.highWatermark).toBe(8);
    expect(await readAll(log)).toEqual(expected(8));
  });

  it('row 9: a bad CRC in the tail ends the log before that batch', async () => {
    const ends = await writeBatches(10, { crash: true });
    const bytes = readFileSync(file(0, '.log'));
    bytes[ends[7]! + 70]! ^= 0xff; // inside batch 8's records
    writeFileSync(file(0, '.log'), bytes);
    const { log } = await openLog();
    expect(log.highWatermark).toBe(8);
    expect(await readAll(log)).toEqual(expected(8));
  });

  it('row 9: a zero-filled tail is cut', async () => {
    const ends = await writeBatches(5, { crash: true });
    appendFileSync(file(0, '.log'), Buffer.alloc(4096));
    const { log } = await openLog();
    expect(log.highWatermark).toBe(5);
    expect(statSync(file(0, '.log')).size).toBe(ends[4]);
  });

  it('rows 8/9: a missing or short index is rebuilt and lookups still land', async () => {
    await writeBatches(40, { config: { segmentBytes: 1500 } });
    const sealed = readdirSync(dir()).filter((name) => name.endsWith('.index')).sort()[0]!;
    const base = Number(sealed.slice(0, 20));
    unlinkSync(join(dir(), sealed));
    const second = readdirSync(dir()).filter((name) => name.endsWith('.index')).sort()[1]!;
    const bytes = readFileSync(join(dir(), second));
    writeFileSync(join(dir(), second), bytes.subarray(0, Math.max(0, bytes.length - 3))); // odd size
    const { log } = await openLog({ segmentBytes: 1500 });
    expect(await readAll(log)).toEqual(expected(40));
    for (const offset of [base, base + 1, 17, 33]) {
      const read = await log.read(offset, 1);
      expect(decodeRecordBatches(read.data)[0]!.records[0]!.offset).toBe(offset);
    }
  });

  it('row 10: an index entry past the end of the log, or entries not increasing, are rebuilt', async () => {
    await writeBatches(40, { config: { segmentBytes: 1500 } });
    const indexes = readdirSync(dir()).filter((name) => name.endsWith('.index')).sort();
    const pastEnd = Buffer.alloc(8);
    pastEnd.writeUInt32BE(1, 0);
    pastEnd.writeUInt32BE(10_000_000, 4);
    appendFileSync(join(dir(), indexes[0]!), pastEnd);
    const backwards = Buffer.alloc(16);
    backwards.writeUInt32BE(5, 0);
    backwards.writeUInt32BE(300, 4);
    backwards.writeUInt32BE(2, 8);
    backwards.writeUInt32BE(100, 12);
    writeFileSync(join(dir(), indexes[1]!), backwards);
    const { log } = await openLog({ segmentBytes: 1500 });
    expect(await readAll(log)).toEqual(expected(40));
  });

  it('rows 1-6: leftover .deleted, .cleaned, .tmp, .swap and orphan index files are settled', async () => {
    await writeBatches(3);
    const name = segmentFileName(0, '.log');
    writeFileSync(join(dir(), `${segmentFileName(500, '.log')}.deleted`), 'old');
    writeFileSync(join(dir(), `${segmentFileName(600, '.log')}.cleaned`), 'unfinished');
    writeFileSync(join(dir(), `${segmentFileName(600, '.index')}.cleaned`), 'unfinished');
    writeFileSync(join(dir(), 'recovery-point.tmp'), 'partial');
    writeFileSync(join(dir(), segmentFileName(700, '.index')), Buffer.alloc(8)); // no .log beside it
    // A committed compaction swap of segment 0: its .swap replaces the live file.
    const replacement = encodeRecordBatch([{ value: Buffer.from('value-2') }], { baseOffset: 2 });
    writeFileSync(join(dir(), `${name}.swap`), replacement);
    writeFileSync(join(dir(), `${segmentFileName(0, '.index')}.swap`), Buffer.alloc(0));
    const { log } = await openLog();
    const left = readdirSync(dir()).sort();
    expect(left.filter((entry) => /\.(deleted|cleaned|tmp|swap)$/.test(entry))).toEqual([]);
    expect(left).not.toContain(segmentFileName(700, '.index'));
    expect(readFileSync(join(dir(), name)).equals(replacement)).toBe(true);
    expect(log.highWatermark).toBe(3);
    expect(await readAll(log)).toEqual(['value-2']);
  });

  it('row 5: index .swap files without a .log.swap (the log was already swapped) are dropped', async () => {
    await writeBatches(3);
    writeFileSync(join(dir(), `${segmentFileName(0, '.index')}.swap`), Buffer.alloc(8));
    writeFileSync(join(dir(), `${segmentFileName(0, '.timeindex')}.swap`), Buffer.alloc(12));
    const { log } = await openLog();
    expect(readdirSync(dir()).filter((entry) => entry.endsWith('.swap'))).toEqual([]);
    expect(await readAll(log)).toEqual(expected(3));
  });

  it('row 7: an empty folder starts an empty log at offset 0', async () => {
    const { log } = await openLog();
    expect(log.highWatermark).toBe(0);
    expect(existsSync(file(0, '.log'))).toBe(true);
  });

  it('row 8: after a clean shutdown the files are trusted (no CRC pass); without the marker they are not', async () => {
    const ends = await writeBatches(10);
    expect(existsSync(cleanShutdownMarkerPath(root))).toBe(true);
    // Corrupt a record byte in batch 3 of the active segment. A trusted open does not read it...
    const bytes = readFileSync(file(0, '.log'));
    bytes[ends[2]! + 70]! ^= 0xff;
    writeFileSync(file(0, '.log'), bytes);
    let { manager, log } = await openLog();
    expect(log.highWatermark).toBe(10);
    // ...and a read of it is an error, never data.
    await expect(log.read(3, 1)).rejects.toMatchObject({ code: 'SPOOL_ERR_CORRUPT_BATCH' });
    open.splice(open.indexOf(manager), 1); // crash: no marker this time
    ({ log } = await openLog());
    expect(log.highWatermark).toBe(3);
    expect(await readAll(log)).toEqual(expected(3));
  });

  it('row 10: recovery reads only segments from the recovery point on, not the sealed ones', async () => {
    await writeBatches(100, { crash: true, config: { segmentBytes: 1200 } });
    const segments = readdirSync(dir()).filter((name) => name.endsWith('.log')).sort();
    expect(segments.length).toBeGreaterThan(4);
    const readPaths = new Set<string>();
    const fdPaths = new Map<number, string>();
    const spy: FileSystem = {
      ...nodeFileSystem,
      open: async (path, flags) => {
        const fd = await nodeFileSystem.open(path, flags);
        fdPaths.set(fd, path);
        return fd;
      },
      read: async (fd, buffer, offset, length, position, recent) => {
        readPaths.add(fdPaths.get(fd) ?? '?');
        return nodeFileSystem.read(fd, buffer, offset, length, position, recent);
      },
    };
    const { log } = await openLog({ segmentBytes: 1200 }, spy);
    expect(log.highWatermark).toBe(100);
    const logsRead = [...readPaths].filter((path) => path.endsWith('.log')).map((path) => path.split('/').pop());
    expect(logsRead).toEqual([segments[segments.length - 1]]);
  });

  it('row 10: damage inside a sealed segment is served as SPOOL_ERR_CORRUPT_BATCH, never as data', async () => {
    await writeBatches(40, { config: { segmentBytes: 1500 } });
    const first = file(0, '.log');
    const bytes = readFileSync(first);
    bytes[100]! ^= 0xff;
    writeFileSync(first, bytes);
    const { log } = await openLog({ segmentBytes: 1500 });
    expect(log.highWatermark).toBe(40);
    await expect(log.read(0, 1 << 20)).rejects.toMatchObject({ code: 'SPOOL_ERR_CORRUPT_BATCH' });
  });
});

