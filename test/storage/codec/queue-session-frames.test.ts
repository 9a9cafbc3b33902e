/**
 * The queue session's frames: every frame round-trips, and arbitrary, truncated and mutated bytes
 * (a fuzz of each decoder) never decode to anything but a whole frame or the decoder's own error:
 * SessionFrameError naming a field for the broker's input, SPOOL_ERR_CORRUPT_ANSWER for the client's.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeBrokerFrame,
  decodeClientFrame,
  encodeCredit,
  encodeErrorFrame,
  encodeMessagesFrame,
  encodeSettle,
  encodeSettled,
  RECEIPT_BYTES,
  type SessionReceipt,
  SessionFrameError,
  sessionReceiptOf,
  textReceiptOf,
} from '../../../storage/codec/queue-session-frames.js';

const bounds = { receiptsPerFrameMax: 100, reasonBytesMax: 1000 };

const receiptArbitrary: fc.Arbitrary<SessionReceipt> = fc.record({
  partition: fc.nat({ max: 2 ** 32 - 1 }),
  offset: fc.maxSafeNat(),
  deliveryCount: fc.nat({ max: 2 ** 32 - 1 }),
  nonce: fc.stringMatching(/^[A-Za-z0-9_-]{8}$/),
});

const settleArbitrary = fc.record({
  kind: fc.constantFrom('ack' as const, 'nack' as const, 'reject' as const),
  id: fc.nat({ max: 2 ** 32 - 1 }),
  receipts: fc.array(receiptArbitrary, { minLength: 1, maxLength: 100 }),
  delayMs: fc.nat({ max: 2 ** 32 - 1 }),
  reason: fc.string({ unit: 'grapheme', maxLength: 200 }),
});

/** Decodes, and answers 'refused' for the decoder's own error; anything else thrown fails the test. */
function decodeOrRefuse(frame: Buffer): unknown {
  try {
    return decodeClientFrame(frame, bounds);
  } catch (error) {
    if (error instanceof SessionFrameError && error.field.length > 0) return 'refused';
    throw error;
  }
}

function brokerOrCorrupt(frame: Buffer): unknown {
  try {
    return decodeBrokerFrame(frame);
  } catch (error) {
    if ((error as { code?: string }).code === 'SPOOL_ERR_CORRUPT_ANSWER') return 'corrupt';
    throw error;
  }
}

describe('queue session frames', () => {
  it('round-trips CREDIT and every settlement frame', () => {
    expect(decodeClientFrame(encodeCredit(100, 30_000), bounds)).toEqual({ type: 'credit', credit: 100, visibilityMs: 30_000 });
    fc.assert(
      fc.property(settleArbitrary, ({ kind, id, receipts, delayMs, reason }) => {
        const decoded = decodeClientFrame(encodeSettle(kind, id, receipts, { delayMs, reason }), bounds);
        expect(decoded).toEqual({ type: kind, id, receipts, ...(kind === 'nack' ? { delayMs } : {}), ...(kind === 'reject' ? { reason } : {}) });
      }),
    );
  });

  it('turns text receipts into binary ones and back, and refuses what is not a receipt', () => {
    for (const text of ['0.17.1.abcdEFGH', '4294967295.9007199254740991.4294967295.A-_zzzzz']) expect(textReceiptOf(sessionReceiptOf(text)!)).toBe(text);
    for (const forged of ['', 'none', '1.2.3', '1.2.3.short', '-1.2.3.abcdEFGH', '4294967296.2.3.abcdEFGH', '1.9007199254740992.3.abcdEFGH', '1.2.4294967296.abcdEFGH', 'a.2.3.abcdEFGH', '.2.3.abcdEFGH']) {
      expect(sessionReceiptOf(forged), forged).toBeNull();
    }
  });

  it('refuses frames that break the layout or a bound, naming the field', () => {
    const receipt = { partition: 0, offset: 1, deliveryCount: 1, nonce: 'abcdEFGH' };
    const ack = encodeSettle('ack', 1, [receipt]);
    const cases: Array<[string, Buffer, string]> = [
      ['empty', Buffer.alloc(0), 'type'],
      ['unknown type', Buffer.from([0x7f, 0, 0, 0, 0]), 'type'],
      ['broker frame type', Buffer.from([0x81, 0, 0, 0, 0]), 'type'],
      ['short credit', encodeCredit(1).subarray(0, 5), 'visibilityMs'],
      ['long credit', Buffer.concat([encodeCredit(1), Buffer.from([0])]), 'credit'],
      ['no id', Buffer.from([0x02, 0, 0]), 'id'],
      ['no count', ack.subarray(0, 7), 'count'],
      ['zero receipts', Buffer.from([0x02, 0, 0, 0, 1, 0, 0, 0, 0]), 'count'],
      ['truncated receipt', ack.subarray(0, ack.length - 1), 'receipts'],
      ['extra byte', Buffer.concat([ack, Buffer.from([0])]), 'receipts'],
      ['count past the bound', encodeSettle('ack', 1, Array.from({ length: 101 }, () => receipt)), 'count'],
      ['count 2^32-1', Buffer.concat([ack.subarray(0, 5), Buffer.from([0xff, 0xff, 0xff, 0xff]), ack.subarray(9)]), 'count'],
      ['reason past the bound', encodeSettle('reject', 1, [receipt], { reason: 'x'.repeat(1001) }), 'reason'],
      ['reason past the end', Buffer.from([0x04, 0, 0, 0, 1, 0x00, 0x10, 0x41]), 'reason'],
      ['nack without delay', Buffer.from([0x03, 0, 0, 0, 1, 0]), 'delayMs'],
    ];
    for (const [name, frame, field] of cases) {
      let caught: unknown;
      try {
        decodeClientFrame(frame, bounds);
      } catch (error) {
        caught = error;
      }
      expect(caught, name).toBeInstanceOf(SessionFrameError);
      expect((caught as SessionFrameError).field, name).toBe(field);
    }
  });

  it('gives a receipt with an offset no message can have an offset of -1 (refused by the queue as unknown)', () => {
    const frame = encodeSettle('ack', 1, [{ partition: 0, offset: 1, deliveryCount: 1, nonce: 'abcdEFGH' }]);
    for (const forged of [Number.NaN, -1, 2 ** 53, 0.5, Infinity]) {
      frame.writeDoubleBE(forged, 9 + 4);
      expect((decodeClientFrame(frame, bounds) as { receipts: SessionReceipt[] }).receipts[0]!.offset, String(forged)).toBe(-1);
    }
  });

  it('fuzz: arbitrary, truncated and mutated client frames decode whole or are refused', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => void decodeOrRefuse(Buffer.from(bytes))), { numRuns: 2000 });
    fc.assert(
      fc.property(settleArbitrary, fc.nat(), fc.nat({ max: 255 }), fc.nat(), ({ kind, id, receipts, delayMs, reason }, at, value, cut) => {
        const frame = encodeSettle(kind, id, receipts, { delayMs, reason });
        frame[at % frame.length] = value;
        const decoded = decodeOrRefuse(frame.subarray(0, frame.length - (cut % 3 === 0 ? cut % frame.length : 0)));
        if (decoded !== 'refused') expect((decoded as { receipts: unknown[] }).receipts.length).toBeLessThanOrEqual(bounds.receiptsPerFrameMax);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips the broker frames, and arbitrary or cut ones decode whole or are corrupt', () => {
    const messages = [{ receipt: '0.1.1.abcdEFGH', partition: 0, offset: 1, deliveryCount: 1, record: { timestamp: 5, key: null, value: Buffer.from('v'), headers: [] } }];
    const decoded = decodeBrokerFrame(encodeMessagesFrame(messages));
    expect(decoded).toMatchObject({ type: 'messages', messages: [{ receipt: '0.1.1.abcdEFGH', offset: 1, timestamp: 5 }] });
    const failures = [{ index: 3, code: 'SPOOL_ERR_RECEIPT_UNKNOWN', message: 'ü'.repeat(10) }, { index: 0, code: 'SPOOL_ERR_RECEIPT_EXPIRED', message: '' }];
    expect(decodeBrokerFrame(encodeSettled(7, failures))).toEqual({ type: 'settled', id: 7, failures });
    expect(decodeBrokerFrame(encodeSettled(8, []))).toEqual({ type: 'settled', id: 8, failures: [] });
    expect(decodeBrokerFrame(encodeErrorFrame('SPOOL_ERR_SESSION_FRAME', 'bad'))).toEqual({ type: 'error', code: 'SPOOL_ERR_SESSION_FRAME', message: 'bad' });
    // A message longer than the wire's bound is cut, never refused.
    expect((decodeBrokerFrame(encodeErrorFrame('X', 'm'.repeat(70_000))) as { message: string }).message.length).toBe(4096);
    const frames = [encodeMessagesFrame(messages), encodeSettled(7, failures), encodeErrorFrame('SPOOL_ERR_X', 'why')];
    for (const frame of frames) for (let cut = 0; cut < frame.length; cut++) expect(brokerOrCorrupt(frame.subarray(0, cut)), `cut at ${cut}`).toBe('corrupt');
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => void brokerOrCorrupt(Buffer.from(bytes))), { numRuns: 2000 });
    expect(RECEIPT_BYTES).toBe(24);
  });
});
