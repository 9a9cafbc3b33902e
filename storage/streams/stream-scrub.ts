/**
 * `spool check` over a stream topic's own files (scrub.ts calls these; nothing is changed):
 *
 * | file              | problem reported when                                                     |
 * |-------------------|---------------------------------------------------------------------------|
 * | `<base>.keys`     | present but short, failing its CRC, or naming another `.log` size or      |
 * |                   | record extent (the broker rebuilds it from the log at first use: derived  |
 * |                   | data, recovery table row 12). Checked where the indexes are: sealed       |
 * |                   | segments, and the active one after a clean shutdown. A missing one is not |
 * |                   | reported: a crash before it was written leaves none, by design            |
 * | `stream-metadata` | not the JSON the broker writes (a version base not two non-negative       |
 * |                   | integers included), or written under another stream-id key:              |
 * |                   | it is not derived from the log, so the partition does not open without it |
 * | `stream-metadata` | a line fails its CRC or does not parse (a crash mid-append, or damage):   |
 * | `.journal`        | the load keeps the lines before it only                                   |
 */
import { join } from 'node:path';
import type { FileSystem } from '../io/file-system.js';
import { decodeKeyFileHeader } from './key-file.js';
import { checkStreamMetadataFile, STREAM_METADATA_FILE } from './stream-metadata.js';
import { streamIdKeyPath } from './stream-id-key.js';
import { decodeJournal, STREAM_METADATA_JOURNAL_FILE } from './stream-metadata-journal.js';

/** The problem of a segment's `.keys` file at `path`, or null when it is absent or describes the segment. */
export async function checkKeysFile(fs: FileSystem, path: string, extent: { logBytes: number; recordExtent: number }): Promise<string | null> {
  const bytes = await fs.readFile(path);
  if (!bytes || decodeKeyFileHeader(bytes, extent)) return null;
  return `damaged or stale (its size, CRC, or the .log size and record extent it names do not match: ${extent.logBytes} bytes, ${extent.recordExtent} offsets); the broker rebuilds it from the log at first use`;
}

/** The data directory's stream-id secret, read only (null when absent or not 32 bytes: the key check is then skipped). */
export async function readStreamIdKey(fs: FileSystem, topicsRoot: string): Promise<Buffer | null> {
  const bytes = await fs.readFile(streamIdKeyPath(topicsRoot));
  return bytes?.length === 32 ? bytes : null;
}

/** The problems of a partition's `stream-metadata` file and journal, by file name (none when absent or reading well). */
export async function checkStreamMetadata(fs: FileSystem, partitionDir: string, secret: Buffer | null): Promise<Array<{ file: string; position: number; problem: string }>> {
  const problems: Array<{ file: string; position: number; problem: string }> = [];
  const bytes = await fs.readFile(join(partitionDir, STREAM_METADATA_FILE));
  const problem = bytes ? checkStreamMetadataFile(bytes, secret) : null;
  if (problem) problems.push({ file: STREAM_METADATA_FILE, position: 0, problem });
  const journal = await fs.readFile(join(partitionDir, STREAM_METADATA_JOURNAL_FILE));
  const { validBytes } = journal ? decodeJournal(journal) : { validBytes: 0 };
  if (journal && validBytes < journal.length) {
    problems.push({ file: STREAM_METADATA_JOURNAL_FILE, position: validBytes, problem: 'a torn or damaged line: the broker drops it and every change after it at the next load' });
  }
  return problems;
}
