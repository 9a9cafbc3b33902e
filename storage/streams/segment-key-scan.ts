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
import { ActiveKeys } from './active-keys.js';
import type { KeyFileHeader } from './key-file.js';

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

/** A sealed segment's `.keys` file rebuilt from its log (gathered in the active table's compact form). */
export async function rebuildKeyFile(fs: FileSystem, segment: Segment): Promise<Buffer> {
  const table = new ActiveKeys();
  await scanSegmentKeys(fs, segment, (key, offset) => table.index(key, offset));
  return table.takeBelow(segment.nextOffset, segment.baseOffset, keyFileExtentOf(segment));
}

/** What a segment's `.keys` header says of its `.log` (a mismatch means the file is stale). */
export function keyFileExtentOf(segment: Segment): Pick<KeyFileHeader, 'logBytes' | 'recordExtent'> {
  return { logBytes: segment.sizeBytes, recordExtent: segment.nextOffset - segment.baseOffset };
}
