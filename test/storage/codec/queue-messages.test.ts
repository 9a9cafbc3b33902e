import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeQueueMessages, encodeQueueMessages, type QueueWireMessage } from '../../../storage/codec/queue-messages.js';

const bytes = (maxLength: number) => fc.option(fc.uint8Array({ maxLength }).map((array) => Buffer.from(array)), { nil: null });

const messageArbitrary: fc.Arbitrary<QueueWireMessage> = fc.record({
  receipt: fc.stringMatching(/^[0-9A-Za-z._-]{0,255}$/),
  partition: fc.nat({ max: 2 ** 32 - 1 }),
  offset: fc.maxSafeNat(),
  deliveryCount: fc.nat({ max: 2 ** 32 - 1 }),
  record: fc.record({
    timestamp: fc.maxSafeNat(),
    key: bytes(64),
    value: bytes(512),
    headers: fc.array(fc.record({ key: fc.string({ unit: 'grapheme', maxLength: 20 }), value: bytes(32) }), { maxLength: 5 }),
  }),
});

function sample(): QueueWireMessage[] {
  return [
    { receipt: '0.17.1.abcdEFGH', partition: 0, offset: 17, deliveryCount: 1, record: { timestamp: 1_700_000_000_000, key: Buffer.from('k'), value: Buffer.from('hello'), headers: [{ key: 'priority', value: Buffer.from('3') }, { key: '__proto__', value: null }] } },
    { receipt: '3.9007199254740991.2.zzzzzzzz', partition: 3, offset: 2 ** 53 - 1, deliveryCount: 2, record: { timestamp: 0, key: null, value: null, headers: [] } },
  ];
}

describe('queue messages codec', () => {
  it('round-trips every field, nulls and empty bytes apart', () => {
    fc.assert(
      fc.property(fc.array(messageArbitrary, { maxLength: 20 }), (messages) => {
        const decoded = decodeQueueMessages(encodeQueueMessages(messages));
        expect(decoded).toEqual(
          messages.map(({ receipt, partition, offset, deliveryCount, record }) => ({ receipt, partition, offset, deliveryCount, timestamp: record.timestamp, key: record.key, value: record.value, headers: record.headers })),
        );
      }),
    );
  });

  it('keeps a header named __proto__ as a header and tells an empty value from null', () => {
    const [first, second] = decodeQueueMessages(encodeQueueMessages(sample()));
    expect(first!.headers).toEqual([{ key: 'priority', value: Buffer.from('3') }, { key: '__proto__', value: null }]);
    expect(second!.key).toBeNull();
    const [empty] = decodeQueueMessages(encodeQueueMessages([{ ...sample()[1]!, record: { timestamp: 0, key: Buffer.alloc(0), value: Buffer.alloc(0), headers: [] } }]));
    expect(empty!.key).toEqual(Buffer.alloc(0));
    expect(empty!.value).toEqual(Buffer.alloc(0));
  });

  it('refuses every truncation of an answer, never answering fewer messages', () => {
    const encoded = encodeQueueMessages(sample());
    for (let length = 0; length < encoded.length; length++) {
      expect(() => decodeQueueMessages(encoded.subarray(0, length)), `cut at ${length}`).toThrow(expect.objectContaining({ code: 'SPOOL_ERR_CORRUPT_ANSWER' }));
    }
  });

  it('refuses trailing bytes, forged counts and forged lengths without allocating for them', () => {
    const encoded = encodeQueueMessages(sample());
    expect(() => decodeQueueMessages(Buffer.concat([encoded, Buffer.from([0])]))).toThrow(/1 bytes left after 2 messages/);
    const forgedCount = Buffer.from(encoded);
    forgedCount.writeUInt32BE(0xffffffff, 0);
    expect(() => decodeQueueMessages(forgedCount)).toThrow(/4294967295 messages cannot fit/);
    // The first message's key length (after 4 + 24 fixed bytes and the receipt's length byte and 15 characters).
    const keyLengthAt = 4 + 24 + 1 + 15;
    for (const length of [-2, 2 ** 31 - 1, 1000]) {
      const forged = Buffer.from(encoded);
      forged.writeInt32BE(length, keyLengthAt);
      expect(() => decodeQueueMessages(forged), `key length ${length}`).toThrow(expect.objectContaining({ code: 'SPOOL_ERR_CORRUPT_ANSWER' }));
    }
    const noMessages = Buffer.alloc(4);
    expect(decodeQueueMessages(noMessages)).toEqual([]);
  });

  it('refuses an offset that is not a safe integer and a receipt longer than its length byte', () => {
    const encoded = encodeQueueMessages(sample());
    const forged = Buffer.from(encoded);
    forged.writeDoubleBE(2 ** 53 + 2, 4 + 4);
    expect(() => decodeQueueMessages(forged)).toThrow(/not a safe non-negative integer/);
    expect(() => encodeQueueMessages([{ ...sample()[0]!, receipt: 'x'.repeat(256) }])).toThrow(/receipt of 256 characters/);
  });
});
