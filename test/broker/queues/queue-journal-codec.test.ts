/**
 * The queue journal's codec: any entry round-trips (offsets up to 2^53 - 1), and a BLOB that does
 * not decode whole (truncated, an unknown kind or state, an offset past 2^53) is an error, never a
 * shorter journal.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeJournalEntry, encodeJournalEntry, type JournalEntry } from '../../../broker/queues/queue-journal-codec.js';

const offset = fc.oneof(fc.nat(), fc.constantFrom(0, 2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER));
const entryArbitrary: fc.Arbitrary<JournalEntry> = fc.record({
  messages: fc.array(
    fc.record({ partition: fc.nat({ max: 2 ** 32 - 1 }), offset, state: fc.constantFrom('delivered' as const, 'acked' as const, 'dead' as const), deliveryCount: fc.nat({ max: 2 ** 32 - 1 }) }),
    { maxLength: 50 },
  ),
  partitions: fc.array(fc.record({ partition: fc.nat({ max: 2 ** 32 - 1 }), ackedThrough: offset, deadLettered: offset }), { maxLength: 10 }),
});

const sample: JournalEntry = {
  messages: [{ partition: 3, offset: 2 ** 40, state: 'acked', deliveryCount: 2 }],
  partitions: [{ partition: 3, ackedThrough: 17, deadLettered: 1 }],
};

describe('queue journal codec', () => {
  it('round-trips any entry', () => {
    fc.assert(
      fc.property(entryArbitrary, (entry) => {
        expect(decodeJournalEntry(encodeJournalEntry(entry))).toEqual(entry);
      }),
    );
  });

  it('encodes 18 bytes per message state and 21 per partition point', () => {
    expect(encodeJournalEntry(sample)).toHaveLength(39);
  });

  it('refuses every truncation of an entry', () => {
    const bytes = encodeJournalEntry(sample);
    for (let length = 1; length < bytes.length; length++) {
      if (length === 18) continue; // the message alone is a whole entry
      expect(() => decodeJournalEntry(bytes.subarray(0, length)), `${length} bytes`).toThrow(expect.objectContaining({ code: 'SPOOL_ERR_INTERNAL' }));
    }
  });

  it('refuses an unknown kind, an unknown state and an offset past 2^53', () => {
    const kind = encodeJournalEntry(sample);
    kind[0] = 7;
    const state = encodeJournalEntry(sample);
    state[13] = 3;
    const offsetPast = encodeJournalEntry(sample);
    offsetPast.writeDoubleBE(2 ** 53 + 2, 5);
    const negative = encodeJournalEntry(sample);
    negative.writeDoubleBE(-1, 5);
    for (const bytes of [kind, state, offsetPast, negative]) expect(() => decodeJournalEntry(bytes)).toThrow(/queue journal in spool\.db/);
  });

  it('refuses to encode an offset that is not a safe integer', () => {
    expect(() => encodeJournalEntry({ messages: [{ partition: 0, offset: 2 ** 53, state: 'acked', deliveryCount: 1 }], partitions: [] })).toThrow(/not a safe/);
  });
});
