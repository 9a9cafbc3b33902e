import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VarintReader, varintSize, writeVarint } from '../../../storage/codec/varint.js';

function encode(value: number): Buffer {
  const buffer = Buffer.alloc(10);
  return buffer.subarray(0, writeVarint(buffer, 0, value));
}

describe('zigzag varints', () => {
  it.each([
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [-64, '7f'],
    [64, '8001'],
    [300, 'd804'],
    [-2147483648, 'ffffffff0f'],
  ])('%d encodes as %s', (value, hex) => {
    expect(encode(value).toString('hex')).toBe(hex);
    expect(new VarintReader(Buffer.from(hex, 'hex'), 0, hex.length / 2).varlong()).toBe(value);
  });

  it('round-trips every safe integer and agrees on its size', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 52), max: 2 ** 52 - 1 }), (value) => {
        const bytes = encode(value);
        expect(bytes.length).toBe(varintSize(value));
        expect(new VarintReader(bytes, 0, bytes.length).varlong()).toBe(value);
      }),
    );
  });

  it('reads short varints (the fast path) alike at the end of the data and with bytes after them', () => {
    fc.assert(
      fc.property(fc.integer({ min: -20_000, max: 20_000 }), fc.uint8Array({ maxLength: 3 }), (value, after) => {
        const bytes = Buffer.concat([encode(value), after]);
        const reader = new VarintReader(bytes, 0, bytes.length);
        expect(reader.varint()).toBe(value);
        expect(reader.position).toBe(varintSize(value));
        const cut = new VarintReader(bytes, 0, varintSize(value));
        expect(cut.varint()).toBe(value);
      }),
    );
    expect(() => new VarintReader(Buffer.from('8001', 'hex'), 0, 1).varint()).toThrow(expect.objectContaining({ code: 'SPOOL_ERR_CORRUPT_BATCH' }));
    expect(new VarintReader(Buffer.from('ff', 'hex'), 0, 1).int8()).toBe(-1);
  });

  it('refuses to encode values whose zigzag form is not exact (found by the property above)', () => {
    expect(() => encode(2 ** 52)).toThrow(RangeError);
    expect(encode(-(2 ** 52)).length).toBe(8);
    expect(new VarintReader(encode(2 ** 52 - 1), 0, 8).varlong()).toBe(2 ** 52 - 1);
  });

  it('refuses truncated and over-long varints with a typed error', () => {
    expect(() => new VarintReader(Buffer.from('80', 'hex'), 0, 1).varint()).toThrow(expect.objectContaining({ code: 'SPOOL_ERR_CORRUPT_BATCH' }));
    expect(() => new VarintReader(Buffer.from('ffffffffff01', 'hex'), 0, 6).varint()).toThrow(expect.objectContaining({ code: 'SPOOL_ERR_CORRUPT_BATCH' }));
  });
});
