/**
 * A partition's per-stream settings, the part of a stream's state the log cannot give back: its
 * metadata (EventStoreDB's `$maxCount`, `$maxAge`, `$tb`), its soft delete, and its erasure. Kept
 * in the partition folder as `stream-metadata` (JSON, written whole with an atomic write) and its
 * journal (stream-metadata-journal.ts): a setting or soft delete is one line appended to the
 * journal, and the whole file is rewritten (a new generation, an empty journal) when the journal
 * passes streamMetadataJournalEntriesMax lines and on every erasure. Metadata and soft deletes are
 * bounded by storageLimits.streamMetadataEntriesMax, set only on streams that have events;
 * erasures are not bounded, so an erasure is never refused.
 *
 * An erased stream is remembered by the HMAC-SHA-256 of its id only (keyed by the data directory's
 * secret, stream-id-key.ts), once its records are gone: the id itself may be the personal data the
 * erasure removes, and a plain hash of a guessable id (an email address) would confirm a guess. While the erase worker has not finished,
 * the entry keeps the id too (the worker needs it to find the records, also after a restart).
 */
import { join } from 'node:path';
import { ioError, StorageError } from '../errors.js';
import { type FileSystem, withFile } from '../io/file-system.js';
import { storageLimits } from '../limits.js';
import { streamIdDigest } from './stream-id-key.js';
import { decodeJournal, encodeJournalChange, encodeJournalStart, isStreamBase, type JournalChange, STREAM_METADATA_JOURNAL_FILE } from './stream-metadata-journal.js';

export const STREAM_METADATA_FILE = 'stream-metadata';
/** 2: erased ids as HMAC-SHA-256 under the data directory's secret (1 held plain SHA-256). */
const FORMAT = 2;
/** What the file's keyCheck holds: the secret's digest of this text (a file written under another
 *  secret would refuse nothing it names). */
const KEY_CHECK_TEXT = Buffer.from('spool stream-id-key check');

/** What a stream's owner sets (PUT .../metadata): each hides events from reads. */
export interface StreamSettings {
  /** Only the last maxCount events are visible. */
  maxCount?: number;
  /** Events older than this (by record timestamp) are hidden. */
  maxAgeMs?: number;
  /** Events below this version are hidden. */
  truncateBefore?: number;
}

export interface StreamMetadata extends StreamSettings {
  /** Soft-deleted at truncateBefore - 1: reads empty, written again from truncateBefore. */
  deleted?: boolean;
  /** Where the stream's versions start since the cleaner removed its hidden prefix (none: 0 at its first record). */
  base?: StreamBase;
}

/**
 * A stream's version base (docs/storage.md "Stream version base"): the key's first record at or
 * above `offset` is version `version`, the next one version + 1, and so on; the key's records below
 * `offset` are invisible, whether the cleaner has removed them yet or not. Recorded (durably)
 * before the cleaner rewrites a segment, so a crash at any point leaves the versions right.
 */
export interface StreamBase {
  version: number;
  offset: number;
  /** Set until the cleaner has removed every record of the stream below `offset`: an open runs its pass again. */
  removing?: boolean;
}

interface ErasedEntry {
  /** HMAC-SHA-256 of the id (hex). */
  hmac: string;
  /** base64 of the id, while the worker has not removed every record. */
  pendingKey?: string;
}

interface FileShape {
  format: number;
  /** The journal generation this snapshot starts (absent in files written before the journal: 0). */
  generation?: number;
  keyCheck: string;
  streams: Array<StreamMetadata & { key: string }>;
  erased: ErasedEntry[];
}

const SETTING_NAMES = ['maxCount', 'maxAgeMs', 'truncateBefore'] as const;

/**
 * Parses a `stream-metadata` file; throws naming what is wrong. `keyCheck`: what the data
 * directory's secret makes of KEY_CHECK_TEXT (streamMetadataKeyCheck), or null not to check it.
 */
function parseStreamMetadataFile(bytes: Buffer, keyCheck: string | null): FileShape {
  const file = JSON.parse(bytes.toString('utf8')) as FileShape;
  if (file === null || typeof file !== 'object') throw new Error('not a JSON object');
  if (file.format !== FORMAT || !Array.isArray(file.streams) || !Array.isArray(file.erased)) throw new Error(`format ${String(file.format)} is not ${FORMAT}`);
  if (keyCheck !== null && file.keyCheck !== keyCheck) throw new Error('written under another stream-id key (topics.stream-id-key replaced?)');
  for (const [index, stream] of file.streams.entries()) {
    if (typeof stream?.key !== 'string') throw new Error(`streams[${index}] has no key`);
    if (stream.base !== undefined && !isStreamBase(stream.base)) throw new Error(`streams[${index}].base is not {version, offset} of non-negative integers`);
  }
  for (const [index, entry] of file.erased.entries()) {
    if (typeof entry?.hmac !== 'string' || !/^[0-9a-f]{64}$/.test(entry.hmac)) throw new Error(`erased[${index}] has no HMAC-SHA-256`);
  }
  return file;
}

/** What `spool check` reports of a partition's `stream-metadata` file: null when it reads well. */
export function checkStreamMetadataFile(bytes: Buffer, secret: Buffer | null): string | null {
  try {
    parseStreamMetadataFile(bytes, secret ? streamIdDigest(secret, KEY_CHECK_TEXT) : null);
    return null;
  } catch (error) {
    return `damaged (${(error as Error).message}): the partition does not open until it is restored from a backup`;
  }
}

export class StreamMetadataTable {
  private readonly byKey = new Map<string, StreamMetadata>();
  private readonly erased = new Map<string, ErasedEntry>();
  private writing: Promise<void> = Promise.resolve();
  private generation = 0;
  /** The journal's whole lines of this generation (bytes; 0: no journal of it yet) and changes. */
  private journalBytes = 0;
  private journalEntries = 0;
  /** The journal file holds more than journalBytes (a torn append): cut before the next append. */
  private journalTorn = false;

  private constructor(
    private readonly fs: FileSystem,
    private readonly path: string,
    private readonly journalPath: string,
    private readonly secret: Buffer,
  ) {}

  static async load(fs: FileSystem, dir: string, secret: Buffer): Promise<StreamMetadataTable> {
    const table = new StreamMetadataTable(fs, join(dir, STREAM_METADATA_FILE), join(dir, STREAM_METADATA_JOURNAL_FILE), secret);
    const bytes = await fs.readFile(table.path);
    if (bytes) table.decode(bytes);
    const journal = await fs.readFile(table.journalPath);
    if (journal && !table.replay(journal)) await table.startJournal();
    return table;
  }

  /**
   * The journal's changes of this snapshot's generation, in order; false for a journal of another
   * generation (its changes are in the snapshot already, and it may name an id erased since).
   */
  private replay(bytes: Buffer): boolean {
    const journal = decodeJournal(bytes);
    if (journal.generation !== this.generation) return false;
    for (const change of journal.changes) {
      const keyString = Buffer.from(change.key, 'base64').toString('latin1');
      if (Object.keys(change.metadata).length === 0) this.byKey.delete(keyString);
      else this.byKey.set(keyString, change.metadata);
    }
    this.journalBytes = journal.validBytes;
    this.journalEntries = journal.changes.length;
    this.journalTorn = journal.validBytes < bytes.length;
    return true;
  }

  private decode(bytes: Buffer): void {
    let file: FileShape;
    try {
      file = parseStreamMetadataFile(bytes, this.digest(KEY_CHECK_TEXT));
    } catch (error) {
      // Not derived data: nothing can rebuild it, so the partition does not open without it.
      throw new StorageError('SPOOL_ERR_IO', `${this.path} is damaged: ${(error as Error).message}`, { path: this.path, operation: 'read' });
    }
    this.generation = file.generation ?? 0;
    for (const { key, ...metadata } of file.streams) this.byKey.set(Buffer.from(key, 'base64').toString('latin1'), metadata);
    for (const entry of file.erased) this.erased.set(entry.hmac, entry);
  }

  private digest(key: Buffer): string {
    return streamIdDigest(this.secret, key);
  }

  /** The stream's metadata (keyString: its id as latin1, one char per byte); empty when none. */
  metadataOf(keyString: string): StreamMetadata {
    return this.byKey.get(keyString) ?? {};
  }

  /** Soft-deleted and not written since: `no_stream` matches it, reads find nothing. */
  isSoftDeleted(keyString: string, lastVersion: number): boolean {
    const metadata = this.byKey.get(keyString);
    return metadata?.deleted === true && lastVersion < (metadata.truncateBefore ?? 0);
  }

  /** Replaces the stream's settings (the soft delete stays); an empty object clears them. */
  setSettings(key: Buffer, settings: StreamSettings): Promise<StreamMetadata> {
    const keyString = key.toString('latin1');
    const current = this.byKey.get(keyString) ?? {};
    const next: StreamMetadata = {};
    for (const name of SETTING_NAMES) if (settings[name] !== undefined) next[name] = settings[name];
    if (current.deleted) {
      next.deleted = true;
      next.truncateBefore = Math.max(next.truncateBefore ?? 0, current.truncateBefore ?? 0);
    }
    if (current.base) next.base = current.base; // the removed records stay removed
    return this.put(keyString, next).then(() => next);
  }

  /** Soft delete: every event up to `lastVersion` hidden; the stream goes on from lastVersion + 1. */
  softDelete(key: Buffer, lastVersion: number): Promise<StreamMetadata> {
    const keyString = key.toString('latin1');
    const current = this.byKey.get(keyString) ?? {};
    const next: StreamMetadata = { ...current, deleted: true, truncateBefore: Math.max(current.truncateBefore ?? 0, lastVersion + 1) };
    return this.put(keyString, next).then(() => next);
  }

  /** The stream's version base, or null while its versions start at its first record. */
  baseOf(keyString: string): StreamBase | null {
    return this.byKey.get(keyString)?.base ?? null;
  }

  /** The streams with settings that hide events (the cleaner's candidates), as [keyString, metadata]. */
  streamsWithSettings(): Array<[string, StreamMetadata]> {
    return [...this.byKey].filter(([, metadata]) => SETTING_NAMES.some((name) => metadata[name] !== undefined));
  }

  /** The streams with a base (the cleaner removes their records below it from sealed segments). */
  streamsWithBase(): Array<[string, StreamBase]> {
    const found: Array<[string, StreamBase]> = [];
    for (const [keyString, metadata] of this.byKey) if (metadata.base) found.push([keyString, metadata.base]);
    return found;
  }

  /** True when a cleaner pass was interrupted (a base still `removing`): the open runs it again. */
  get removalPending(): boolean {
    for (const metadata of this.byKey.values()) if (metadata.base?.removing) return true;
    return false;
  }

  /**
   * Moves the stream's base up (durably, one journal line): from the answer on, its records below
   * `base.offset` are invisible and the cleaner may remove them. Never moves it down.
   */
  setBase(keyString: string, base: { version: number; offset: number }): Promise<void> {
    const current = this.byKey.get(keyString);
    if (!current || (current.base && current.base.offset >= base.offset)) return this.writing;
    return this.put(keyString, { ...current, base: { version: base.version, offset: base.offset, removing: true } });
  }

  /** The cleaner removed the stream's records below its base from every sealed segment. */
  baseRemoved(keyString: string): Promise<void> {
    const current = this.byKey.get(keyString);
    if (!current?.base?.removing) return this.writing;
    return this.put(keyString, { ...current, base: { version: current.base.version, offset: current.base.offset } });
  }

  private put(keyString: string, metadata: StreamMetadata): Promise<void> {
    const empty = Object.keys(metadata).length === 0;
    if (!empty && !this.byKey.has(keyString)) this.checkRoom();
    if (empty) this.byKey.delete(keyString);
    else this.byKey.set(keyString, metadata);
    return this.journal({ key: Buffer.from(keyString, 'latin1').toString('base64'), metadata });
  }

  private checkRoom(): void {
    const max = storageLimits.streamMetadataEntriesMax;
    if (this.byKey.size < max) return;
    throw new StorageError('SPOOL_ERR_TOO_MANY_STREAM_METADATA', `this partition holds ${max} streams with metadata or deletes, its maximum (streamMetadataEntriesMax)`, { limit: max });
  }

  isErased(key: Buffer): boolean {
    return this.erased.size > 0 && this.erased.has(this.digest(key));
  }

  /** True when any stream of the partition was erased (appends then check their keys). */
  get hasErased(): boolean {
    return this.erased.size > 0;
  }

  /** Whether the erase worker still has records of the stream to remove (null: not erased). */
  erasePending(key: Buffer): boolean | null {
    const entry = this.erased.get(this.digest(key));
    return entry ? entry.pendingKey !== undefined : null;
  }

  /** Refuses the stream's id from now on and queues its records for the erase worker. */
  markErasing(key: Buffer): Promise<void> {
    const hmac = this.digest(key);
    if (this.erased.has(hmac)) return this.writing;
    // Never refused for room: a full metadata table must not block a GDPR erasure. Erased ids are
    // outside streamMetadataEntriesMax (each keeps 32 bytes once its records are gone).
    this.byKey.delete(key.toString('latin1')); // its metadata names it: gone with it
    this.erased.set(hmac, { hmac, pendingKey: key.toString('base64') });
    return this.persist();
  }

  /** Ids whose records the erase worker has not removed yet. */
  pendingErasures(): Buffer[] {
    return [...this.erased.values()].filter((entry) => entry.pendingKey !== undefined).map((entry) => Buffer.from(entry.pendingKey!, 'base64'));
  }

  /** The worker removed every record of the stream: only its HMAC is kept. */
  markErased(key: Buffer): Promise<void> {
    const entry = this.erased.get(this.digest(key));
    if (entry) delete entry.pendingKey;
    return this.persist();
  }

  /**
   * Appends one change to the journal, durably, after any write in flight; rewrites the whole
   * table instead once the journal is long (a load replays every line of it).
   */
  private journal(change: JournalChange): Promise<void> {
    const append = async () => {
      if (this.journalBytes === 0 || this.journalEntries >= storageLimits.streamMetadataJournalEntriesMax) return this.rewrite();
      const line = encodeJournalChange(change);
      await withFile(this.fs, this.journalPath, 'r+', async (fd) => {
        if (this.journalTorn) await this.fs.ftruncate(fd, this.journalBytes);
        await this.fs.writev(fd, [line], this.journalBytes);
        await this.fs.fdatasync(fd);
      }).catch((error: unknown) => {
        throw ioError(error, 'append to', this.journalPath);
      });
      this.journalTorn = false;
      this.journalBytes += line.length;
      this.journalEntries++;
    };
    this.writing = this.writing.catch(() => {}).then(append);
    return this.writing;
  }

  /** Writes the table as it is now, after any write in flight (so the last state wins on disk). */
  private persist(): Promise<void> {
    this.writing = this.writing.catch(() => {}).then(() => this.rewrite());
    return this.writing;
  }

  /**
   * The whole table as generation n + 1, then an empty journal for it: a crash between the two
   * leaves the old journal, which names generation n and is ignored.
   */
  private async rewrite(): Promise<void> {
    const generation = this.generation + 1;
    const file: FileShape = {
      format: FORMAT,
      generation,
      keyCheck: this.digest(KEY_CHECK_TEXT),
      streams: [...this.byKey].map(([key, metadata]) => ({ key: Buffer.from(key, 'latin1').toString('base64'), ...metadata })),
      erased: [...this.erased.values()].map((entry) => ({ ...entry })),
    };
    await this.fs.writeFileAtomic(this.path, Buffer.from(JSON.stringify(file))).catch((error: unknown) => {
      throw ioError(error, 'write', this.path);
    });
    this.generation = generation;
    this.journalBytes = 0;
    await this.startJournal();
  }

  /** An empty journal for the current generation, replacing whatever journal is there. */
  private async startJournal(): Promise<void> {
    const start = encodeJournalStart(this.generation);
    await this.fs.writeFileAtomic(this.journalPath, start).catch((error: unknown) => {
      throw ioError(error, 'write', this.journalPath);
    });
    this.journalBytes = start.length;
    this.journalEntries = 0;
    this.journalTorn = false;
  }
}
