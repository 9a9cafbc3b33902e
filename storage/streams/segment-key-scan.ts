/**
 * Reads the keys of a segment's records from its `.log`: how the active segment's table is filled
 * at open and how a sealed segment's missing or damaged `.keys` file is rebuilt (the log is the
 * only source of truth). Every batch goes through the record-batch codec, CRC included.
 */
import { decodeRecordBatch } from '../codec/record-batch.js';
import { ioError } from '../errors.js';
import { type FileSystem, withFile } from '../io/file-system.js';
import { scanBatches } from '../log/batch-scanner.js';
import type { Segment } from '../log/segment.js';
import type { SegmentKeys } from './key-file.js';

/** Calls `visit` for every keyed record of the segment's visible bytes, in offset order. */
export async function scanSegmentKeys(fs: FileSystem, segment: Segment, visit: (key: Buffer, offset: number) => void): Promise<void> {
  if (segment.isEmpty) return;
  await withFile(fs, segment.logPath, 'r', async (fd) => {
    await scanBatches(fs, fd, segment.sizeBytes, 0, { verifyCrc: true, minBaseOffset: segment.baseOffset }, (batch) => {
      for (const record of decodeRecordBatch(batch.bytes).records) {
        if (record.key) visit(record.key, record.offset);
      }
    });
  }).catch((error: unknown) => {
    throw ioError(error, 'scan keys of', segment.logPath);
  });
}

/** A sealed segment's keys, for writing its `.keys` file. */
export async function readSegmentKeys(fs: FileSystem, segment: Segment): Promise<SegmentKeys> {
  const indexOf = new Map<string, number>();
  const table: SegmentKeys = { keys: [], relativeOffsets: [] };
  await scanSegmentKeys(fs, segment, (key, offset) => {
    const name = key.toString('latin1');
    let index = indexOf.get(name);
    if (index === undefined) {
      index = table.keys.length;
      indexOf.set(name, index);
      table.keys.push(Buffer.from(key));
      table.relativeOffsets.push([]);
    }
    table.relativeOffsets[index]!.push(offset - segment.baseOffset);
  });
  return table;
}
