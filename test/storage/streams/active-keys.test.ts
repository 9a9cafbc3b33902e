import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ActiveKeys, type KeyHasher, PROBE_LIMIT, type SeededKeyHasher } from '../../../storage/streams/active-keys.js';
import { sipHash24Word, type SipKey } from '../../../storage/streams/siphash.js';
import { keysCollidingUnderFnv1a } from '../../../bench/lib/fnv-flood-keys.js';
import { decodeKeyFileHeader, decodeKeyFileTable, encodeKeyFile, fnv1a, type SegmentKeys } from '../../../storage/streams/key-file.js';

/** The table as it was before it went compact (a Map of arrays): the answers must not change. */
class MapModel {
  readonly byKey = new Map<string, number[]>();
  pending: Array<{ key: string; offset: number }> = [];

  add(key: string, offset: number): void {
    this.index(key, offset);
    this.pending.push({ key, offset });
  }

  index(key: string, offset: number): void {
    this.byKey.set(key, [...(this.byKey.get(key) ?? []), offset]);
  }

  committed(highWatermark: number): void {
    this.pending = this.pending.filter((record) => record.offset >= highWatermark);
  }

  rewindTo(offset: number): void {
    while (this.pending.length > 0 && this.pending[this.pending.length - 1]!.offset >= offset) {
      const { key } = this.pending.pop()!;
      const offsets = this.byKey.get(key)!;
      offsets.pop();
      if (offsets.length === 0) this.byKey.delete(key);
    }
  }

  takeBelow(nextBase: number, sealedBase: number): Map<string, number[]> {
    const sealed = new Map<string, number[]>();
    for (const [key, offsets] of this.byKey) {
      const below = offsets.filter((offset) => offset < nextBase);
      if (below.length === 0) continue;
      sealed.set(key, below.map((offset) => offset - sealedBase));
      const above = offsets.filter((offset) => offset >= nextBase);
      if (above.length === 0) this.byKey.delete(key);
      else this.byKey.set(key, above);
    }
    return sealed;
  }

  get size(): number {
    let size = 0;
    for (const offsets of this.byKey.values()) size += offsets.length;
    return size;
  }

  get lastOffset(): number {
    return Math.max(-1, ...[...this.byKey.values()].map((offsets) => offsets[offsets.length - 1]!));
  }
}

const hashers: Record<string, KeyHasher | undefined> = {
  'SipHash-2-4 (the default)': undefined,
  'every key one hash': () => 0x1234_5678,
  'hash by length': (_bytes, start, end) => (end - start) % 3,
};

/** Twelve keys: empty, binary, prefixes of each other, one longer than the initial arena. */
const keys = ['', 'a', 'b', 'ab', 'ba', '\0', '\0\0', 'order-1', 'order-10', 'x'.repeat(40), '\xff', 'order-01'].map((key) => Buffer.from(key, 'latin1'));

const asMap = (table: SegmentKeys) => new Map(table.keys.map((key, i) => [key.toString('latin1'), table.relativeOffsets[i]!]));

type Operation =
  | { kind: 'add'; key: number; gap: number }
  | { kind: 'commit'; upTo: number }
  | { kind: 'rewind' }
  | { kind: 'takeBelow'; at: number };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('add' as const), key: fc.nat(11), gap: fc.nat(3) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('commit' as const), upTo: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rewind' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('takeBelow' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
);

describe('active key table (compact)', () => {
  for (const [name, hash] of Object.entries(hashers)) {
    it(`answers as a Map of arrays does under add/commit/rewind/takeBelow, with a file load first (${name})`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(11), fc.nat(2)), { maxLength: 30 }),
          fc.array(operation, { maxLength: 120 }),
          fc.integer({ min: 1, max: 4 }),
          (loaded, operations, initial) => {
            const table = new ActiveKeys({ hash, initialKeys: initial, initialRecords: initial });
            const model = new MapModel();
            const segmentBase = 1_000_000;
            let next = segmentBase;
            // The load after a clean restart: a `.keys` file, read in key-hash order, not offset order.
            const saved: SegmentKeys = { keys: [], relativeOffsets: [] };
            for (const [key, gap] of loaded) {
              next += gap;
              const at = saved.keys.findIndex((known) => known.equals(keys[key]!));
              if (at < 0) {
                saved.keys.push(keys[key]!);
                saved.relativeOffsets.push([next - segmentBase]);
              } else saved.relativeOffsets[at]!.push(next - segmentBase);
              model.index(keys[key]!.toString('latin1'), next);
              next++;
            }
            const extent = { logBytes: 1, recordExtent: next - segmentBase };
            const file = encodeKeyFile(saved, extent);
            table.loadKeyFile(file, decodeKeyFileHeader(file, extent)!, segmentBase);
            let highWatermark = next;
            let sealedUpTo = segmentBase;
            for (const op of operations) {
              if (op.kind === 'add') {
                next += op.gap;
                table.add(keys[op.key]!, next);
                model.add(keys[op.key]!.toString('latin1'), next);
                next++;
              } else if (op.kind === 'commit') {
                highWatermark = Math.max(highWatermark, highWatermark + Math.floor((next - highWatermark) * op.upTo));
                table.committed(highWatermark);
                model.committed(highWatermark);
              } else if (op.kind === 'rewind') {
                // A failed write: the writer goes back to its high watermark and reuses the offsets.
                table.rewindTo(highWatermark);
                model.rewindTo(highWatermark);
                next = Math.max(highWatermark, model.lastOffset + 1);
              } else {
                const nextBase = sealedUpTo + Math.floor((highWatermark - sealedUpTo) * op.at);
                const sealedExtent = { logBytes: 7, recordExtent: nextBase - sealedUpTo };
                const file = table.takeBelow(nextBase, sealedUpTo, sealedExtent);
                const sealed = model.takeBelow(nextBase, sealedUpTo);
                expect(asMap(decodeKeyFileTable(file, decodeKeyFileHeader(file, sealedExtent)!))).toEqual(sealed);
                // Byte for byte the reference writer's file, whose keys come in order of appearance.
                const appearance = [...sealed].sort(([, a], [, b]) => a[0]! - b[0]!);
                const reference = { keys: appearance.map(([key]) => Buffer.from(key, 'latin1')), relativeOffsets: appearance.map(([, offsets]) => offsets) };
                expect(file.equals(encodeKeyFile(reference, sealedExtent))).toBe(true);
                sealedUpTo = nextBase;
              }
              expect(table.size).toBe(model.size);
              for (const key of keys) expect(table.offsetsOf(key)).toEqual(model.byKey.get(key.toString('latin1')) ?? []);
              expect(new Set([...table.keys()].map((key) => key.toString('latin1')))).toEqual(new Set(model.byKey.keys()));
            }
          },
        ),
        { numRuns: 150 },
      );
    });
  }

  it('refuses an offset below the key\'s last (a bug, never input)', () => {
    const table = new ActiveKeys();
    table.index(Buffer.from('a'), 10);
    expect(() => table.index(Buffer.from('a'), 10)).toThrow(/only grow/);
    expect(() => table.index(Buffer.from('b'), 9)).toThrow(/within u32/);
  });

  it('forgets its base when a rewind empties it: the next record may be below the rewound one', () => {
    const table = new ActiveKeys();
    // A fresh partition's first write, [unkeyed at 0, keyed at 1], failed: the log is back at 0.
    table.add(Buffer.from('a'), 1);
    table.rewindTo(0);
    table.add(Buffer.from('a'), 0);
    table.add(Buffer.from('b'), 1);
    expect(table.offsetsOf(Buffer.from('a'))).toEqual([0]);
    expect(table.offsetsOf(Buffer.from('b'))).toEqual([1]);
  });

  it('keeps probes short for keys crafted to collide under an unkeyed hash (FNV-1a, the table\'s hash before SipHash)', () => {
    const crafted = keysCollidingUnderFnv1a(2000, 12);
    const unkeyed = new ActiveKeys({ hash: fnv1a });
    crafted.forEach((key, offset) => unkeyed.add(key, offset));
    expect(unkeyed.longestProbe).toBeGreaterThan(1000); // the flood the crafted keys make (each add walks them all)
    const table = new ActiveKeys();
    crafted.forEach((key, offset) => table.add(key, offset));
    for (const key of crafted) expect(table.countFrom(key, 0)).toBe(1);
    expect(table.longestProbe).toBeLessThan(PROBE_LIMIT / 2);
    expect(table.reseeds).toBe(0);
  });

  it('draws a new seed and places every key again when a probe runs past the limit', () => {
    let firstSeed: SipKey | undefined;
    // A keyed hash whose first seed is broken (every key one slot): what the guard is there for.
    const brokenAtFirst: SeededKeyHasher = (seed, bytes, start, end) => {
      firstSeed ??= seed;
      return seed === firstSeed ? 7 : sipHash24Word(seed, bytes, start, end);
    };
    const table = new ActiveKeys({ seededHash: brokenAtFirst });
    const keys = Array.from({ length: 3 * PROBE_LIMIT }, (_, i) => Buffer.from(`order-${i}`));
    keys.forEach((key, offset) => table.add(key, offset));
    expect(table.reseeds).toBe(1);
    expect(table.longestProbe).toBeLessThanOrEqual(PROBE_LIMIT + 1);
    keys.forEach((key, offset) => expect(table.offsetsOf(key)).toEqual([offset]));
    expect(table.offsetsOf(Buffer.from('order-x'))).toEqual([]);
  });

  it('holds ~10 bytes a record and ~30 a key (plus its bytes) at size, whatever the number of streams', () => {
    const table = new ActiveKeys();
    const streams = 100_000;
    for (let offset = 0; offset < 400_000; offset++) table.index(Buffer.from(`order-${(offset % streams).toString().padStart(8, '0')}`), offset);
    // Capacities double: at most 2x the exact need (8 a record; 12 + 8 of slots + 14 of bytes a key).
    expect(table.bytes).toBeLessThanOrEqual(2 * (8 * 400_000 + 34 * streams));
  });
});
