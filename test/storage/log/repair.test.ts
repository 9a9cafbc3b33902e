/**
 * `spool check --repair` at the storage level: a partition with a damaged batch in a sealed segment
 * fails every read across it, for ever, until the repair cuts it there; the cut bytes are kept in a
 * quarantine file and the offsets lost are reported. Also: a missing or non-data directory is
 * refused, damaged indexes are rebuilt, and a partition mid-swap is left alone.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batchSizeAt, decodeRecordBatches, encodeRecordBatch } from '../../../storage/codec/record-batch.js';
import { topicsRoot } from '../../../storage/log/data-dir.js';
import { LogManager } from '../../../storage/log/log-manager.js';
import type { PartitionLog } from '../../../storage/log/partition-log.js';
import { repairDataDir } from '../../../storage/log/repair.js';
import { scrubDataDir } from '../../../storage/log/scrub.js';
import { segmentFileName } from '../../../storage/log/segment-files.js';
import { encodeJournalChange } from '../../../storage/streams/stream-metadata-journal.js';

let dataDir = '';
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'spool-repair-'));
});
afterEach(async () => rm(dataDir, { recursive: true, force: true }));

const RECORDS = 60;

/** Writes RECORDS one-record batches to topic t (small segments) and closes the manager cleanly. */
async function writeTopic(config: Record<string, unknown> = {}): Promise<string> {
  const manager = await LogManager.open({ root: topicsRoot(dataDir) });
  const [log] = await manager.openTopic('t', 1, { segmentBytes: 1200, ...config });
  for (let i = 0; i < RECORDS; i++) await log!.append(encodeRecordBatch([{ key: Buffer.from(`k${i}`), value: Buffer.from(`value-${i}`.padEnd(100, '.')) }]));
  await manager.close();
  return join(topicsRoot(dataDir), 't', '0');
}

function segmentsOf(dir: string): number[] {
  return readdirSync(dir).filter((name) => name.endsWith('.log')).map((name) => Number(name.slice(0, 20))).sort((a, b) => a - b);
}

function batchPositions(bytes: Buffer): number[] {
  const positions = [];
  for (let at = 0; at < bytes.length; at += batchSizeAt(bytes, at)) positions.push(at);
  return positions;
}

async function readValues(log: PartitionLog): Promise<string[]> {
  const values: string[] = [];
  for (let offset = log.logStartOffset; offset < log.highWatermark; ) {
    const read = await log.read(offset, 1 << 16);
    for (const batch of decodeRecordBatches(read.data)) for (const record of batch.records) if (record.offset >= offset) values.push(record.value!.toString().replace(/\.+$/, ''));
    offset = read.nextOffset;
  }
  return values;
}

async function reopen<T>(use: (log: PartitionLog) => Promise<T>): Promise<T> {
  const manager = await LogManager.open({ root: topicsRoot(dataDir) });
  try {
    const [log] = await manager.openTopic('t', 1, { segmentBytes: 1200 });
    return await use(log!);
  } finally {
    await manager.close();
  }
}

describe('repair', () => {
  it('cuts a partition at a damaged sealed batch, keeps the cut bytes in quarantine, and reports the offsets lost', async () => {
    const dir = await writeTopic();
    const bases = segmentsOf(dir);
    expect(bases.length).toBeGreaterThan(4);
    const damagedBase = bases[2]!;
    const logPath = join(dir, segmentFileName(damagedBase, '.log'));
    const original = readFileSync(logPath);
    const cutAt = batchPositions(original)[1]!;
    const damaged = Buffer.from(original);
    damaged[cutAt + 70]! ^= 0xff; // a record byte: the CRC no longer matches
    writeFileSync(logPath, damaged);
    const laterBytes = bases.slice(3).map((base) => readFileSync(join(dir, segmentFileName(base, '.log'))));
    const firstLost = damagedBase + 1;

    // Before: every read across the damage fails, however often it is tried.
    await reopen(async (log) => {
      await expect(readValues(log)).rejects.toMatchObject({ code: 'SPOOL_ERR_CORRUPT_BATCH' });
    });
    expect((await scrubDataDir(dataDir)).problems[0]).toMatchObject({ segment: segmentFileName(damagedBase, '.log'), position: cutAt, offset: firstLost });

    const report = await repairDataDir(dataDir, { nowMs: Date.UTC(2026, 0, 2) });
    expect(report.skipped).toEqual([]);
    expect(report.cuts).toEqual([
      expect.objectContaining({ topic: 't', partition: 0, segment: segmentFileName(damagedBase, '.log'), position: cutAt, firstLostOffset: firstLost, lastLostOffset: RECORDS - 1, removedSegments: bases.slice(3).map((base) => segmentFileName(base, '.log')) }),
    ]);
    const cut = report.cuts[0]!;
    expect(cut.quarantine).toBe(join(dataDir, 'quarantine', 't', '0', `${segmentFileName(firstLost, '.log').slice(0, 20)}-2026-01-02T00-00-00-000Z.log`));
    expect(readFileSync(cut.quarantine).equals(Buffer.concat([damaged.subarray(cutAt), ...laterBytes]))).toBe(true);
    expect(cut.quarantinedBytes).toBe(readFileSync(cut.quarantine).length);
    expect(segmentsOf(dir)).toEqual(bases.slice(0, 3));
    expect((await scrubDataDir(dataDir)).problems).toEqual([]);

    // After: the partition reads up to the cut, and appends go on from there.
    await reopen(async (log) => {
      expect(log.highWatermark).toBe(firstLost);
      expect(await readValues(log)).toEqual(Array.from({ length: firstLost }, (_, i) => `value-${i}`));
      expect((await log.append(encodeRecordBatch([{ value: Buffer.from('after') }]))).baseOffset).toBe(firstLost);
    });
    // A second repair finds nothing more to do.
    expect(await repairDataDir(dataDir)).toEqual({ cuts: [], indexes: [], skipped: [] });
  });

  it('cuts at a batch whose base offset runs into the next segment, and at damage in the active segment', async () => {
    const dir = await writeTopic();
    const bases = segmentsOf(dir);
    const sealedPath = join(dir, segmentFileName(bases[0]!, '.log'));
    const sealed = readFileSync(sealedPath);
    const last = batchPositions(sealed).at(-1)!;
    sealed.writeBigInt64BE(BigInt(bases[1]!), last); // outside the CRC: only where it points betrays it
    writeFileSync(sealedPath, sealed);
    const report = await repairDataDir(dataDir);
    expect(report.cuts).toEqual([expect.objectContaining({ position: last, firstLostOffset: bases[1]! - 1, lastLostOffset: RECORDS - 1 })]);
    await reopen(async (log) => expect(log.highWatermark).toBe(bases[1]! - 1));

    const activePath = join(dir, segmentFileName(bases[0]!, '.log'));
    const active = readFileSync(activePath);
    active.writeInt32BE(0x7fff_ffff, batchPositions(active)[2]! + 8); // an impossible batchLength: nothing after it is framed
    writeFileSync(activePath, active);
    const again = await repairDataDir(dataDir);
    expect(again.cuts).toEqual([expect.objectContaining({ firstLostOffset: 2, lastLostOffset: null })]);
  });

  it('rebuilds a damaged index of a sealed segment, and removes one of the active segment, instead of cutting anything', async () => {
    const dir = await writeTopic();
    const base = segmentsOf(dir)[1]!;
    const activeBase = segmentsOf(dir).at(-1)!;
    writeFileSync(join(dir, segmentFileName(base, '.index')), Buffer.from([1, 2, 3]));
    writeFileSync(join(dir, segmentFileName(activeBase, '.timeindex')), Buffer.alloc(12, 0xff));
    expect((await scrubDataDir(dataDir)).problems.map((problem) => problem.segment)).toEqual(expect.arrayContaining([segmentFileName(base, '.index'), segmentFileName(activeBase, '.timeindex')]));
    const report = await repairDataDir(dataDir);
    expect(report.cuts).toEqual([]);
    expect(report.indexes).toContain(`t/0/${segmentFileName(base, '.index')}`);
    expect(report.indexes).toContain(`t/0/${segmentFileName(activeBase, '.timeindex')}`);
    expect(existsSync(join(dir, segmentFileName(activeBase, '.timeindex')))).toBe(false);
    expect((await scrubDataDir(dataDir)).problems).toEqual([]);
    await reopen(async (log) => expect((await readValues(log)).length).toBe(RECORDS));
  });

  it('leaves a partition with an unfinished compaction swap alone', async () => {
    const dir = await writeTopic();
    const base = segmentsOf(dir)[0]!;
    const logPath = join(dir, segmentFileName(base, '.log'));
    const bytes = readFileSync(logPath);
    bytes[80]! ^= 0xff;
    writeFileSync(logPath, bytes);
    writeFileSync(`${logPath}.swap`, readFileSync(logPath));
    const report = await repairDataDir(dataDir);
    expect(report.cuts).toEqual([]);
    expect(report.skipped).toEqual([expect.objectContaining({ topic: 't', partition: 0 })]);
    expect(readFileSync(logPath).equals(bytes)).toBe(true);
  });
});

describe('stream topics', () => {
  it('checks each .keys file and the stream-metadata file: a damaged .keys is reported and removed by repair, reads unchanged; damaged metadata is reported', async () => {
    const config = { segmentBytes: 1200, streamIndex: true, retentionMs: -1 };
    const manager = await LogManager.open({ root: topicsRoot(dataDir) });
    const [log] = await manager.openTopic('t', 1, config);
    const expected = new Map<string, number[]>();
    for (let i = 0; i < RECORDS; i++) {
      const key = `order-${i % 5}`;
      const { baseOffset } = await log!.append(encodeRecordBatch([{ key: Buffer.from(key), value: Buffer.from(`value-${i}`.padEnd(100, '.')) }]));
      expected.set(key, [...(expected.get(key) ?? []), baseOffset]);
    }
    await log!.streamMetadata.setSettings(Buffer.from('order-1'), { maxCount: 3 });
    await manager.close();
    expect((await scrubDataDir(dataDir)).problems).toEqual([]); // a healthy stream topic, active .keys included
    const dir = join(topicsRoot(dataDir), 't', '0');
    const keysName = readdirSync(dir).filter((name) => name.endsWith('.keys')).sort()[1]!;
    const keys = readFileSync(join(dir, keysName));
    keys[keys.length - 2]! ^= 0xff;
    writeFileSync(join(dir, keysName), keys);
    expect((await scrubDataDir(dataDir)).problems).toEqual([expect.objectContaining({ segment: keysName, problem: expect.stringContaining('damaged or stale') })]);
    expect((await repairDataDir(dataDir)).indexes).toEqual([`t/0/${keysName}`]);
    expect(existsSync(join(dir, keysName))).toBe(false);
    const reopened = await LogManager.open({ root: topicsRoot(dataDir) });
    const [again] = await reopened.openTopic('t', 1, config);
    for (const [key, offsets] of expected) expect((await again!.streamOffsets(Buffer.from(key))).offsets).toEqual(offsets);
    await reopened.close();
    const journalPath = join(dir, 'stream-metadata.journal');
    const journal = readFileSync(journalPath);
    writeFileSync(journalPath, Buffer.concat([journal, Buffer.from('0000 {"torn')]));
    expect((await scrubDataDir(dataDir)).problems).toEqual([expect.objectContaining({ segment: 'stream-metadata.journal', position: journal.length })]);
    writeFileSync(journalPath, journal);
    const metadataPath = join(dir, 'stream-metadata');
    writeFileSync(metadataPath, readFileSync(metadataPath).subarray(0, 20)); // a torn write
    expect((await scrubDataDir(dataDir)).problems).toEqual([expect.objectContaining({ segment: 'stream-metadata', problem: expect.stringContaining('damaged') })]);
  });
});

describe('stream topics after the stream cleaner', () => {
  it('scrub finds nothing wrong with rewritten segments and a version base, and reports a forged base', async () => {
    const config = { segmentBytes: 1200, streamIndex: true, retentionMs: -1 };
    const manager = await LogManager.open({ root: topicsRoot(dataDir) });
    const [log] = await manager.openTopic('t', 1, config);
    for (let i = 0; i < RECORDS; i++) await log!.append(encodeRecordBatch([{ key: Buffer.from(`order-${i % 3}`), value: Buffer.from(`value-${i}`.padEnd(100, '.')) }]));
    await log!.streamMetadata.setSettings(Buffer.from('order-1'), { maxCount: 2 });
    const before = await log!.streamOffsets(Buffer.from('order-1'));
    expect(await log!.cleanStreams(Date.now(), 1)).toMatchObject({ streamsRebased: 1 });
    const after = await log!.streamOffsets(Buffer.from('order-1'));
    expect(after.firstVersion + after.offsets.length).toBe(before.firstVersion + before.offsets.length); // the version is unchanged
    expect(after.offsets).toEqual(before.offsets.slice(-after.offsets.length));
    await manager.close();
    expect((await scrubDataDir(dataDir)).problems).toEqual([]);
    // A line with its CRC right but a base no broker writes: the journal ends before it.
    const journalPath = join(topicsRoot(dataDir), 't', '0', 'stream-metadata.journal');
    const journal = readFileSync(journalPath);
    const forged = encodeJournalChange({ key: Buffer.from('order-1').toString('base64'), metadata: { maxCount: 2, base: { version: 3, offset: -5 } } });
    writeFileSync(journalPath, Buffer.concat([journal, forged]));
    expect((await scrubDataDir(dataDir)).problems).toEqual([expect.objectContaining({ segment: 'stream-metadata.journal', position: journal.length })]);
  });
});

describe('a data directory', () => {
  it('that is missing, a file, or has no topics folder is refused with SPOOL_ERR_NOT_A_DATA_DIR, saying why', async () => {
    const file = join(dataDir, 'a-file');
    await writeFile(file, 'x');
    const other = join(dataDir, 'not-data');
    await mkdir(other);
    const cases: Array<[string, RegExp]> = [[join(dataDir, 'missing'), /does not exist/], [file, /not a directory/], [other, /no topics\/ folder/]];
    for (const [path, why] of cases) {
      for (const run of [scrubDataDir, repairDataDir]) {
        await expect(run(path)).rejects.toMatchObject({ code: 'SPOOL_ERR_NOT_A_DATA_DIR', message: expect.stringMatching(why), context: { path } });
      }
    }
    expect(existsSync(join(other, 'quarantine'))).toBe(false);
  });
});
