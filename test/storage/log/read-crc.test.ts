/**
 * What a read CRC-checks (storage/log/segment-reader.ts): every batch it returns, and none of the
 * batches it passes over from the index entry to the target, which are framed by their headers.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeRecordBatches, encodeRecordBatch } from '../../../storage/codec/record-batch.js';
import { useTempLogs } from '../support/temp-logs.js';

const logs = useTempLogs('read-crc');
const BATCHES = 60;
/** Small segments, each below indexIntervalBytes: one index entry, at its first batch. */
const CONFIG = { segmentBytes: 2000 };

/** Writes BATCHES one-record batches, closes cleanly, and answers the first sealed segment's file and its batches. */
async function sealedSegment(): Promise<{ path: string; batches: Array<{ start: number; offset: number }> }> {
  const [log] = await logs.manager.openTopic('t', 1, CONFIG);
  for (let offset = 0; offset < BATCHES; offset++) await log!.append(encodeRecordBatch([{ key: Buffer.from(`k${offset}`), value: Buffer.from(`value-${offset}`) }]));
  await logs.manager.close();
  const dir = join(logs.root, 't', '0');
  const first = readdirSync(dir).filter((name) => name.endsWith('.log')).sort()[0]!;
  const bytes = readFileSync(join(dir, first));
  const batches = [];
  for (let start = 0; start < bytes.length; start += 12 + bytes.readInt32BE(start + 8)) batches.push({ start, offset: Number(bytes.readBigInt64BE(start)) });
  return { path: join(dir, first), batches };
}

async function reopen() {
  await logs.reopen();
  const [log] = await logs.manager.openTopic('t', 1, CONFIG);
  return log!;
}

describe('read CRC checks', () => {
  it('refuses a returned batch with a flipped byte, and passes over a damaged batch on the way to another one', async () => {
    const { path, batches } = await sealedSegment();
    expect(batches.length).toBeGreaterThan(8);
    const damaged = batches[3]!;
    const bytes = readFileSync(path);
    bytes[damaged.start + 61 + 4]! ^= 0x20; // in the first record, covered by the CRC
    writeFileSync(path, bytes);
    const log = await reopen();
    // The damaged batch itself, asked for or reached from an earlier offset within maxBytes.
    await expect(log.read(damaged.offset, 1)).rejects.toMatchObject({ code: 'SPOOL_ERR_CORRUPT_BATCH' });
    await expect(log.read(batches[1]!.offset, 10_000)).rejects.toMatchObject({ code: 'SPOOL_ERR_CORRUPT_BATCH' });
    // A later batch: the read walks over the damaged one by its header and answers the right records.
    const later = batches[7]!;
    const read = await log.read(later.offset, 1);
    const records = decodeRecordBatches(read.data).flatMap((batch) => batch.records);
    expect(records.map((record) => [record.offset, record.value!.toString()])).toEqual([[later.offset, `value-${later.offset}`]]);
  });

  it('refuses a damaged header on the way (magic) as corrupt, not as another batch', async () => {
    const { path, batches } = await sealedSegment();
    const bytes = readFileSync(path);
    bytes[batches[2]!.start + 16] = 7; // magic
    writeFileSync(path, bytes);
    const log = await reopen();
    await expect(log.read(batches[6]!.offset, 1)).rejects.toMatchObject({ code: 'SPOOL_ERR_CORRUPT_BATCH' });
    expect((await log.read(batches[1]!.offset, 1)).nextOffset).toBe(batches[1]!.offset + 1);
  });
});
