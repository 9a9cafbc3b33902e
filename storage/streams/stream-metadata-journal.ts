/**
 * The journal of a partition's stream metadata (stream-metadata.ts): the settings and soft deletes
 * set since the last whole write of `stream-metadata`, one appended line each, so a change costs
 * one small append and an fdatasync instead of rewriting up to 10,000 entries (~1 MB).
 *
 *   stream-metadata.journal   lines of  <CRC-32C of the JSON, 8 hex digits> <space> <JSON> \n
 *     line 1                  {"generation": n}: the journal continues snapshot generation n
 *     each next line          {"key": <stream id, base64>, "metadata": {...}}: the stream's metadata
 *                             from then on ({} clears it)
 *
 * The snapshot (`stream-metadata`) names its generation; a rewrite writes generation n + 1 and then
 * starts an empty journal for it, so a journal of an older generation (a crash between the two) is
 * ignored, never replayed over newer state. A line that fails its CRC, does not parse, or holds a
 * version base that is not two non-negative integers ends the
 * journal (a torn append): the reader says where, and the table cuts the file there before it
 * appends again. Erasures never go through the journal (their ids must leave every file): they
 * rewrite the snapshot.
 */
import { crc32c } from '../codec/crc32c.js';
import type { StreamBase, StreamMetadata } from './stream-metadata.js';

export const STREAM_METADATA_JOURNAL_FILE = 'stream-metadata.journal';

export interface JournalChange {
  /** The stream id, base64. */
  key: string;
  metadata: StreamMetadata;
}

function line(json: unknown): Buffer {
  const text = JSON.stringify(json);
  return Buffer.from(`${crc32c(Buffer.from(text)).toString(16).padStart(8, '0')} ${text}\n`);
}

export function encodeJournalStart(generation: number): Buffer {
  return line({ generation });
}

export function encodeJournalChange(change: JournalChange): Buffer {
  return line(change);
}

/** A version base as the broker writes it: two non-negative integers (a forged or damaged one is refused). */
export function isStreamBase(base: unknown): base is StreamBase {
  const { version, offset } = (base ?? {}) as Partial<StreamBase>;
  return Number.isSafeInteger(version) && version! >= 0 && Number.isSafeInteger(offset) && offset! >= 0;
}

export interface DecodedJournal {
  generation: number | null;
  changes: JournalChange[];
  /** Bytes of whole, checked lines: where the next append goes (the rest is a torn tail). */
  validBytes: number;
}

/** Reads the journal's checked lines; stops at the first torn or damaged one. */
export function decodeJournal(bytes: Buffer): DecodedJournal {
  const journal: DecodedJournal = { generation: null, changes: [], validBytes: 0 };
  let at = 0;
  while (at < bytes.length) {
    const end = bytes.indexOf(0x0a, at);
    if (end < 0 || end - at < 10 || bytes[at + 8] !== 0x20) break;
    const json = bytes.subarray(at + 9, end);
    if (bytes.toString('latin1', at, at + 8) !== crc32c(json).toString(16).padStart(8, '0')) break;
    let parsed: { generation?: unknown; key?: unknown; metadata?: unknown };
    try {
      parsed = JSON.parse(json.toString('utf8')) as typeof parsed;
    } catch {
      break;
    }
    if (journal.generation === null) {
      if (!Number.isSafeInteger(parsed.generation)) break;
      journal.generation = parsed.generation as number;
    } else {
      if (typeof parsed.key !== 'string' || parsed.metadata === null || typeof parsed.metadata !== 'object') break;
      const { base } = parsed.metadata as StreamMetadata;
      if (base !== undefined && !isStreamBase(base)) break;
      journal.changes.push({ key: parsed.key, metadata: parsed.metadata as StreamMetadata });
    }
    at = end + 1;
    journal.validBytes = at;
  }
  return journal;
}
