/**
 * The time index against a plain model of its rules (entries added only when the timestamp grows,
 * a seal entry naming the last offset, truncation, lookup of the greatest older entry), and its
 * bytes round-tripped: the typed-array storage must answer as the object-per-entry one did.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TIME_INDEX_ENTRY_BYTES, TimeIndex, type TimeIndexEntry } from '../../../storage/log/time-index.js';

class Model {
  entries: TimeIndexEntry[] = [];
  maybeAppend(timestamp: number, relativeOffset: number): void {
    const last = this.entries.at(-1);
    if (last && timestamp <= last.timestamp) return;
    if (last && last.relativeOffset === relativeOffset) last.timestamp = timestamp;
    else this.entries.push({ timestamp, relativeOffset });
  }
  seal(timestamp: number, relativeOffset: number): void {
    const last = this.entries.at(-1);
    if (last && last.relativeOffset === relativeOffset) last.timestamp = Math.max(last.timestamp, timestamp);
    else this.entries.push({ timestamp: Math.max(timestamp, last?.timestamp ?? timestamp), relativeOffset });
  }
  truncate(relativeOffset: number): void {
    while (this.entries.length > 0 && this.entries.at(-1)!.relativeOffset >= relativeOffset) this.entries.pop();
  }
  lookup(timestamp: number): number {
    return this.entries.filter((entry) => entry.timestamp < timestamp).at(-1)?.relativeOffset ?? 0;
  }
}

const step = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), timestampStep: fc.integer({ min: -5, max: 50 }), offsetStep: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('truncate' as const), back: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ kind: fc.constant('lookup' as const), timestamp: fc.integer({ min: 0, max: 3000 }) }),
);

describe('time index', () => {
  it('answers as the model through appends, truncations and lookups, and round-trips its bytes (100s of entries: growth)', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 300 }), fc.integer({ min: 0, max: 100 }), (steps, sealStep) => {
        const index = new TimeIndex();
        const model = new Model();
        let timestamp = 1000;
        let offset = 0;
        for (const item of steps) {
          if (item.kind === 'append') {
            timestamp += item.timestampStep;
            offset += item.offsetStep;
            index.maybeAppend(timestamp, offset);
            model.maybeAppend(timestamp, offset);
          } else if (item.kind === 'truncate') {
            offset = Math.max(0, offset - item.back);
            index.truncateToRelativeOffset(offset);
            model.truncate(offset);
          } else {
            expect(index.lookup(item.timestamp)).toBe(model.lookup(item.timestamp));
          }
          expect(index.size).toBe(model.entries.length);
          expect(index.last()).toEqual(model.entries.at(-1) ?? null);
        }
        index.seal(timestamp - sealStep, offset + 1);
        model.seal(timestamp - sealStep, offset + 1);
        const bytes = index.toBytes();
        expect(bytes.length).toBe(model.entries.length * TIME_INDEX_ENTRY_BYTES);
        const reloaded = TimeIndex.fromBytes(bytes)!;
        expect(reloaded.size).toBe(model.entries.length);
        expect(reloaded.last()).toEqual(model.entries.at(-1) ?? null);
        expect(reloaded.toBytes().equals(bytes)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses bytes of an odd size or going backwards', () => {
    const index = new TimeIndex();
    index.maybeAppend(10, 0);
    index.maybeAppend(20, 5);
    const bytes = index.toBytes();
    expect(TimeIndex.fromBytes(bytes.subarray(0, bytes.length - 1))).toBeNull();
    const backwards = Buffer.concat([bytes.subarray(TIME_INDEX_ENTRY_BYTES), bytes.subarray(0, TIME_INDEX_ENTRY_BYTES)]);
    expect(TimeIndex.fromBytes(backwards)).toBeNull();
  });
});
