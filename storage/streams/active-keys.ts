/**
 * The in-memory part of a partition's stream index: the keyed records of the active segment,
 * including appends accepted but not yet written (their versions are decided at accept time, in
 * the order the single writer will write them). Memory follows the active segment's size, not
 * the number of streams: at seal time the table moves to the segment's `.keys` file.
 *
 * Compact, in typed arrays (no object, string or array per key or per record): the full
 * size puts ~670,000 records of ~250,000 keys in each partition's 128 MiB active segment, where a
 * `Map<string, number[]>` held ~130 bytes per key and ~12 per record on the JS heap, all of it
 * traced by every major GC.
 *
 *   keys      open-addressing table (linear probing) of key ids; per key id its hash, where its
 *             bytes start in one append-only arena (they end where the next key's start), and its
 *             last record: ~13 bytes + the key's bytes, ~2x that at most with the doubling slack
 *   records   per record its offset relative to `base` (u32: a segment's extent fits, as in the
 *             `.keys` format) and the previous record of the same key: 8 bytes
 *
 * A key's records are a chain from its last record backwards, so appending and rewinding a record
 * are O(1) and offsetsOf walks the chain and reverses it. Records are kept in the order they were
 * added, so the appends not yet written are always the last ones (what a failed write rewinds).
 *
 * Keys come from producers: the hash is SipHash-2-4 under a random per-process key, so nobody can
 * compute keys that share a slot (with an unkeyed hash such as FNV-1a, 40,000 crafted keys took
 * 5.4 s to add instead of 12 ms). Behind it, a probe longer than PROBE_LIMIT draws a new key for
 * the table and places every key again. Hashes never leave memory: the `.keys` format holds bytes
 * and offsets only, loaded into a fresh table at open.
 */
import { assert } from '../assert.js';
import {
  allocKeyFile,
  forEachKeyFileEntry,
  KEY_ENTRY_BYTES,
  type KeyFileHeader,
  keyEntryPosition,
  keyHashHigh,
  keyHashLow,
  keysSectionPosition,
  writeKeyFileHeader,
} from './key-file.js';
import { randomSipKey, sipHash24Word, type SipKey } from './siphash.js';

/** A 32-bit hash of `bytes[start, end)`: where a key goes in the table. */
export type KeyHasher = (bytes: Buffer, start: number, end: number) => number;
/** A keyed 32-bit hash: what the table reseeds when a probe runs long. */
export type SeededKeyHasher = (seed: SipKey, bytes: Buffer, start: number, end: number) => number;

/** Drawn once per process, as V8 seeds its own Map hashing. */
const PROCESS_SEED = randomSipKey();
/**
 * Slots probed for one key past which the table draws a new seed (a random hash at most half
 * full probes a few slots on average, the longest run in a million slots a few dozen).
 */
export const PROBE_LIMIT = 128;

export interface ActiveKeysOptions {
  /** Tests force collisions with a constant hash (never reseeded). */
  hash?: KeyHasher;
  /** The keyed hash (SipHash-2-4 unless a test injects one that collides under its first seed). */
  seededHash?: SeededKeyHasher;
  /** Initial capacities (tests start tiny so that every growth path runs). */
  initialKeys?: number;
  initialRecords?: number;
}

const NONE = -1;
/** Relative offsets are u32, as in the `.keys` format (recordExtent u32). */
const MAX_RELATIVE = 0xffff_ffff;
/** Pending bookkeeping is compacted past this many committed entries (it never drains under steady load). */
const PENDING_COMPACT_AT = 4096;

export class ActiveKeys {
  private readonly seededHash: SeededKeyHasher;
  private seed = PROCESS_SEED;
  /** The longest probe seen (slots visited for one key) and the new seeds drawn: the tests' view of collisions. */
  longestProbe = 0;
  reseeds = 0;
  private readonly initialKeys: number;
  private readonly initialRecords: number;

  /** slot → key id, NONE when empty; a power of two, at most half full. */
  private slots: Int32Array;
  private keyHash: Uint32Array;
  /** key id → where its bytes start in `arena`; keyStart[keyCount] = arenaUsed. */
  private keyStart: Uint32Array;
  /** key id → its last record, NONE when a rewind took all of them. */
  private keyTail: Int32Array;
  private keyCount = 0;
  private arena: Buffer;
  private arenaUsed = 0;

  private recordRelative: Uint32Array;
  /** record → the same key's previous record, NONE for its first. */
  private recordPrevious: Int32Array;
  private recordCount = 0;
  /** Offsets are stored relative to it: the segment's base, or the first offset of an empty table. */
  private base = NONE;

  /** Key ids of the records not yet written, from `pendingStart`: the last records of the table. */
  private pendingKeys: number[] = [];
  private pendingStart = 0;

  constructor(private readonly options: ActiveKeysOptions = {}) {
    const fixed = options.hash;
    this.seededHash = fixed ? (_seed, bytes, start, end) => fixed(bytes, start, end) : options.seededHash ?? sipHash24Word;
    // A power of two: the slots (twice as many) are probed with a mask.
    this.initialKeys = 2 ** Math.ceil(Math.log2(Math.max(1, options.initialKeys ?? 1024)));
    this.initialRecords = Math.max(1, options.initialRecords ?? 4096);
    this.slots = new Int32Array(2 * this.initialKeys).fill(NONE);
    this.keyHash = new Uint32Array(this.initialKeys);
    this.keyStart = new Uint32Array(this.initialKeys + 1);
    this.keyTail = new Int32Array(this.initialKeys);
    this.arena = Buffer.allocUnsafe(Math.max(16, 16 * this.initialKeys));
    this.recordRelative = new Uint32Array(this.initialRecords);
    this.recordPrevious = new Int32Array(this.initialRecords);
  }

  get size(): number {
    return this.recordCount;
  }

  /** Bytes held by the typed arrays and the arena (for the benches' memory breakdown). */
  get bytes(): number {
    return (
      this.slots.byteLength + this.keyHash.byteLength + this.keyStart.byteLength + this.keyTail.byteLength + this.arena.length +
      this.recordRelative.byteLength + this.recordPrevious.byteLength
    );
  }

  /** An accepted append's record (rewound if its write fails). */
  add(key: Buffer, offset: number): void {
    const id = this.keyIdOf(key, 0, key.length, true);
    this.indexRecord(id, offset);
    this.pendingKeys.push(id);
  }

  /** A record already in the log (the table loaded at open). */
  index(key: Buffer, offset: number): void {
    this.indexRecord(this.keyIdOf(key, 0, key.length, true), offset);
  }

  /**
   * Every record of a checked `.keys` file (a clean close's save of the active segment), keys
   * compared in place: the load after a restart allocates nothing per record or per key.
   */
  loadKeyFile(file: Buffer, header: KeyFileHeader, baseOffset: number): void {
    assert(this.recordCount === 0, 'a key file is loaded into an empty table');
    this.base = baseOffset;
    // Sized once (a first pass counts the keys): no doubling, copy and rehash on the way.
    let keys = 0;
    let lastKeyStart = NONE;
    forEachKeyFileEntry(file, header, (keyStart) => {
      if (keyStart !== lastKeyStart) keys++;
      lastKeyStart = keyStart;
    });
    this.reserve(keys, header.entryCount, header.keysBytes);
    lastKeyStart = NONE;
    let id = NONE;
    forEachKeyFileEntry(file, header, (keyStart, keyEnd, relativeOffset) => {
      if (keyStart !== lastKeyStart) {
        lastKeyStart = keyStart;
        id = this.keyIdOf(file, keyStart, keyEnd, true);
      }
      this.indexRecord(id, baseOffset + relativeOffset);
    });
  }

  /** The key's offsets in this table, ascending (a new array). */
  offsetsOf(key: Buffer): number[] {
    const id = this.keyIdOf(key, 0, key.length, false);
    if (id === NONE) return [];
    const offsets: number[] = [];
    for (let record = this.keyTail[id]!; record !== NONE; record = this.recordPrevious[record]!) offsets.push(this.offsetOf(record));
    return offsets.reverse();
  }

  /** How many of the key's records are at or above `offset` (a version count, without an array). */
  countFrom(key: Buffer, offset: number): number {
    const id = this.keyIdOf(key, 0, key.length, false);
    let count = 0;
    if (id === NONE) return count;
    for (let record = this.keyTail[id]!; record !== NONE && this.offsetOf(record) >= offset; record = this.recordPrevious[record]!) count++;
    return count;
  }

  /** The records below `highWatermark` were written: they can no longer be rewound. */
  committed(highWatermark: number): void {
    const firstPending = this.recordCount - this.pendingKeys.length;
    while (this.pendingStart < this.pendingKeys.length && this.offsetOf(firstPending + this.pendingStart) < highWatermark) this.pendingStart++;
    if (this.pendingStart === this.pendingKeys.length) {
      this.pendingKeys = [];
      this.pendingStart = 0;
    } else if (this.pendingStart >= PENDING_COMPACT_AT && this.pendingStart * 2 >= this.pendingKeys.length) {
      this.pendingKeys = this.pendingKeys.slice(this.pendingStart);
      this.pendingStart = 0;
    }
  }

  /** A failed write: forgets every record at or above `offset` (never written). */
  rewindTo(offset: number): void {
    while (this.pendingKeys.length > this.pendingStart && this.offsetOf(this.recordCount - 1) >= offset) {
      const id = this.pendingKeys.pop()!;
      const record = --this.recordCount;
      assert(this.keyTail[id] === record, 'a pending record is its key\'s last');
      this.keyTail[id] = this.recordPrevious[record]!;
    }
    // Emptied: the base was the first rewound record's offset, and the next record may be below it
    // (a failed [unkeyed, keyed] write leaves the next keyed record at the unkeyed one's offset).
    if (this.recordCount === 0) this.base = NONE;
  }

  /**
   * The segment rolled at `nextBase`: takes out every record below it as the sealed segment's
   * `.keys` file (offsets relative to `sealedBase`), written straight from the arrays (no object
   * per key or record: a 128 MiB segment has ~240,000 keys), and keeps the ones above (appends
   * queued for the new segment) in a table rebuilt without the sealed keys, so the arrays shrink
   * back to the new segment's size and the old ones are garbage at once.
   */
  takeBelow(nextBase: number, sealedBase: number, extent: Pick<KeyFileHeader, 'logBytes' | 'recordExtent'>): Buffer {
    const file = this.encodeBelow(nextBase, sealedBase, extent);
    this.keepFrom(nextBase);
    return file;
  }

  /** The `.keys` file of the records below `nextBase`, byte for byte what encodeKeyFile writes. */
  private encodeBelow(nextBase: number, sealedBase: number, extent: Pick<KeyFileHeader, 'logBytes' | 'recordExtent'>): Buffer {
    // A key's records below nextBase are the start of its chain (offsets grow along it).
    const below = new Int32Array(this.keyCount);
    const firstRecord = new Int32Array(this.keyCount);
    const sealedIds = new Int32Array(this.keyCount);
    let sealedKeys = 0;
    let entryCount = 0;
    let keysBytes = 0;
    for (let id = 0; id < this.keyCount; id++) {
      for (let record = this.keyTail[id]!; record !== NONE; record = this.recordPrevious[record]!) {
        if (this.offsetOf(record) >= nextBase) continue;
        below[id]!++;
        firstRecord[id] = record;
      }
      if (below[id] === 0) continue;
      sealedIds[sealedKeys++] = id;
      entryCount += below[id]!;
      keysBytes += 4 + this.keyStart[id + 1]! - this.keyStart[id]!;
    }
    const hashHigh = new Uint32Array(this.keyCount);
    const hashLow = new Uint32Array(this.keyCount);
    for (const id of sealedIds.subarray(0, sealedKeys)) {
      const key = this.keyBytes(id);
      hashHigh[id] = keyHashHigh(key);
      hashLow[id] = keyHashLow(key);
    }
    // encodeKeyFile's order: by hash, then by the key's first record (its order of appearance).
    const order = sealedIds.subarray(0, sealedKeys).sort((a, b) => hashHigh[a]! - hashHigh[b]! || hashLow[a]! - hashLow[b]! || firstRecord[a]! - firstRecord[b]!);
    const file = allocKeyFile(entryCount, keysBytes);
    const keysStart = keysSectionPosition(entryCount);
    let entryAt = keyEntryPosition(0);
    let keyPosition = 0;
    for (const id of order) {
      const key = this.keyBytes(id);
      file.writeUInt32BE(key.length, keysStart + keyPosition);
      key.copy(file, keysStart + keyPosition + 4);
      // The chain runs backwards: the key's entries are written from its last slot down.
      let at = entryAt + below[id]! * KEY_ENTRY_BYTES;
      for (let record = this.keyTail[id]!; record !== NONE; record = this.recordPrevious[record]!) {
        const offset = this.offsetOf(record);
        if (offset >= nextBase) continue;
        at -= KEY_ENTRY_BYTES;
        file.writeUInt32BE(hashHigh[id]!, at);
        file.writeUInt32BE(hashLow[id]!, at + 4);
        file.writeUInt32BE(offset - sealedBase, at + 8);
        file.writeUInt32BE(keyPosition, at + 12);
      }
      entryAt += below[id]! * KEY_ENTRY_BYTES;
      keyPosition += 4 + key.length;
    }
    writeKeyFileHeader(file, { ...extent, entryCount, keysBytes });
    return file;
  }

  /** Replaces the table by one of its records at or above `nextBase` only (pending ones stay pending). */
  private keepFrom(nextBase: number): void {
    const keyOfRecord = this.keyOfEachRecord();
    const keptId = new Int32Array(this.keyCount).fill(NONE);
    const kept = new ActiveKeys(this.options);
    kept.base = nextBase;
    const firstPending = this.recordCount - (this.pendingKeys.length - this.pendingStart);
    for (let record = 0; record < this.recordCount; record++) {
      const id = keyOfRecord[record]!;
      const offset = this.offsetOf(record);
      if (offset < nextBase) continue;
      if (keptId[id] === NONE) keptId[id] = kept.keyIdOf(this.arena, this.keyStart[id]!, this.keyStart[id + 1]!, true);
      kept.indexRecord(keptId[id]!, offset);
      if (record >= firstPending) kept.pendingKeys.push(keptId[id]!);
    }
    Object.assign(this, kept);
  }

  /** Every key with a record in the table (views of the arena: copy one to keep it past the next add). */
  *keys(): IterableIterator<Buffer> {
    for (let id = 0; id < this.keyCount; id++) if (this.keyTail[id] !== NONE) yield this.keyBytes(id);
  }

  private offsetOf(record: number): number {
    return this.base + this.recordRelative[record]!;
  }

  private keyBytes(id: number): Buffer {
    return this.arena.subarray(this.keyStart[id]!, this.keyStart[id + 1]!);
  }

  private indexRecord(id: number, offset: number): void {
    if (this.recordCount === 0 && this.base === NONE) this.base = offset;
    const relative = offset - this.base;
    assert(relative >= 0 && relative <= MAX_RELATIVE, 'an offset of the active table is within u32 of its base');
    const previous = this.keyTail[id]!;
    assert(previous === NONE || this.offsetOf(previous) < offset, 'a key\'s offsets only grow');
    if (this.recordCount === this.recordRelative.length) this.growRecords();
    this.recordRelative[this.recordCount] = relative;
    this.recordPrevious[this.recordCount] = previous;
    this.keyTail[id] = this.recordCount++;
  }

  /** The id of `bytes[start, end)`: found, or added when `insert`, else NONE. */
  private keyIdOf(bytes: Buffer, start: number, end: number, insert: boolean): number {
    const hash = this.seededHash(this.seed, bytes, start, end);
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    let probes = 1;
    for (let id = this.slots[slot]!; id !== NONE; id = this.slots[slot]!, probes++) {
      if (this.keyHash[id] === hash && this.keyEquals(id, bytes, start, end)) break;
      slot = (slot + 1) & mask;
    }
    if (probes > this.longestProbe) this.longestProbe = probes;
    if (this.slots[slot] !== NONE) return this.slots[slot]!;
    if (!insert) return NONE;
    const id = this.insertKey(slot, hash, bytes, start, end);
    if (probes > PROBE_LIMIT && this.options.hash === undefined) this.reseed();
    return id;
  }

  /** A probe ran past PROBE_LIMIT: a new seed, every key's hash computed again and placed again. */
  private reseed(): void {
    this.seed = randomSipKey();
    this.reseeds++;
    for (let id = 0; id < this.keyCount; id++) this.keyHash[id] = this.seededHash(this.seed, this.arena, this.keyStart[id]!, this.keyStart[id + 1]!);
    this.rehash();
  }

  private keyEquals(id: number, bytes: Buffer, start: number, end: number): boolean {
    const at = this.keyStart[id]!;
    if (this.keyStart[id + 1]! - at !== end - start) return false;
    for (let i = 0; i < end - start; i++) if (this.arena[at + i] !== bytes[start + i]) return false;
    return true;
  }

  private insertKey(slot: number, hash: number, bytes: Buffer, start: number, end: number): number {
    const id = this.keyCount;
    if (id === this.keyHash.length) this.growKeys();
    while (this.arenaUsed + (end - start) > this.arena.length) this.arena = grown(this.arena, this.arenaUsed, Buffer.allocUnsafe(2 * this.arena.length));
    bytes.copy(this.arena, this.arenaUsed, start, end);
    this.arenaUsed += end - start;
    this.keyHash[id] = hash;
    this.keyTail[id] = NONE;
    this.keyStart[id + 1] = this.arenaUsed;
    this.keyCount++;
    if (this.slots.length === this.keyHash.length * 2) this.slots[slot] = id;
    else this.rehash(); // growKeys doubled the capacity: the slots double too, every key placed again
    return id;
  }

  /** Capacity for at least `keys` keys of `keyBytes` in all and `records` records (an empty table). */
  private reserve(keys: number, records: number, keyBytes: number): void {
    while (this.keyHash.length < keys) this.growKeys();
    this.rehash();
    if (this.arena.length < keyBytes) this.arena = Buffer.allocUnsafe(keyBytes);
    if (this.recordRelative.length < records) {
      this.recordRelative = new Uint32Array(records);
      this.recordPrevious = new Int32Array(records);
    }
  }

  private growKeys(): void {
    const capacity = 2 * this.keyHash.length;
    this.keyHash = grown(this.keyHash, this.keyCount, new Uint32Array(capacity));
    this.keyStart = grown(this.keyStart, this.keyCount + 1, new Uint32Array(capacity + 1));
    this.keyTail = grown(this.keyTail, this.keyCount, new Int32Array(capacity));
  }

  private rehash(): void {
    this.slots = new Int32Array(2 * this.keyHash.length).fill(NONE);
    const mask = this.slots.length - 1;
    for (let id = 0; id < this.keyCount; id++) {
      let slot = this.keyHash[id]! & mask;
      while (this.slots[slot] !== NONE) slot = (slot + 1) & mask;
      this.slots[slot] = id;
    }
  }

  private growRecords(): void {
    const capacity = 2 * this.recordRelative.length;
    this.recordRelative = grown(this.recordRelative, this.recordCount, new Uint32Array(capacity));
    this.recordPrevious = grown(this.recordPrevious, this.recordCount, new Int32Array(capacity));
  }

  /** key id of every record, from the chains (keepFrom's only per-record scratch). */
  private keyOfEachRecord(): Int32Array {
    const keyOfRecord = new Int32Array(this.recordCount);
    for (let id = 0; id < this.keyCount; id++) {
      for (let record = this.keyTail[id]!; record !== NONE; record = this.recordPrevious[record]!) keyOfRecord[record] = id;
    }
    return keyOfRecord;
  }
}

/** `into` with the first `used` elements of `from`. */
function grown<T extends Uint32Array | Int32Array | Buffer>(from: T, used: number, into: T): T {
  into.set(from.subarray(0, used));
  return into;
}
