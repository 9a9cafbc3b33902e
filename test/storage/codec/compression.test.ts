/**
 * The compression codecs: every codec round-trips any block, reads the forms Kafka clients send
 * (snappy raw and xerial, LZ4 frames with and without a content size, zstd frames with and without
 * one), answers damage with SPOOL_ERR_CORRUPT_BATCH, and refuses a block that would decompress
 * past the caller's limit before allocating its output.
 */
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compress, Compression, compressionIdOf, decompress } from '../../../storage/codec/compression.js';
import { compressSnappyRaw, XERIAL_CHUNK_BYTES, XERIAL_MAGIC } from '../../../storage/codec/compression/snappy.js';
import { lz4DecompressedBound } from '../../../storage/codec/compression/lz4.js';
import { zstdFramingBound } from '../../../storage/codec/compression/zstd.js';
import { StorageError } from '../../../storage/errors.js';

const codecs = [
  ['gzip', Compression.gzip],
  ['snappy', Compression.snappy],
  ['lz4', Compression.lz4],
  ['zstd', Compression.zstd],
] as const;

const MiB = 1024 * 1024;
/** Blocks of every shape: random (incompressible), repetitive (highly compressible), and mixed. */
const blockArbitrary = fc.oneof(
  fc.uint8Array({ maxLength: 4096 }).map((array) => Buffer.from(array)),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 16 }), fc.integer({ min: 1, max: 20_000 })).map(([unit, times]) => Buffer.concat(Array.from({ length: times }, () => unit))),
  fc.array(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(new Uint8Array(1000), new Uint8Array(70_000).fill(7))), { maxLength: 8 }).map((parts) => Buffer.concat(parts)),
);

/** Buffers compared as bytes (vitest's toEqual walks a Buffer element by element: minutes for megabytes). */
function expectBytes(actual: Buffer, expected: Buffer): void {
  expect(actual.length).toBe(expected.length);
  expect(actual.equals(expected)).toBe(true);
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    return (error as StorageError).code;
  }
}

/** The xerial stream the Java client writes: magic, version 1, compatible 1, [int32 length, raw block]*. */
function xerial(chunks: Buffer[]): Buffer {
  const header = Buffer.alloc(16);
  XERIAL_MAGIC.copy(header);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  return Buffer.concat([header, ...chunks.flatMap((chunk) => [Buffer.from([0, 0, 0, 0].map((_, i) => (chunk.length >>> (24 - 8 * i)) & 0xff)), chunk])]);
}

describe('compression codecs', () => {
  for (const [name, id] of codecs) {
    it(`${name}: round-trips any block, with the exact size as the limit`, () => {
      fc.assert(
        fc.property(blockArbitrary, (plain) => {
          const block = compress(id, plain);
          expectBytes(decompress(id, block, plain.length), plain);
        }),
        { numRuns: 60 },
      );
    });

    it(`${name}: refuses a block one byte over the limit with SPOOL_ERR_DECOMPRESSED_TOO_LARGE`, () => {
      fc.assert(
        fc.property(blockArbitrary.filter((plain) => plain.length > 0), (plain) => {
          expect(codeOf(() => decompress(id, compress(id, plain), plain.length - 1))).toBe('SPOOL_ERR_DECOMPRESSED_TOO_LARGE');
        }),
        { numRuns: 30 },
      );
    });

    it(`${name}: answers any truncation or byte flip with the data or SPOOL_ERR_CORRUPT_BATCH, never a crash`, () => {
      fc.assert(
        fc.property(blockArbitrary, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), (plain, cut, at, flip) => {
          const block = compress(id, plain);
          const truncated = block.subarray(0, cut % block.length);
          if (id === Compression.snappy && cut % block.length >= 16) {
            // xerial has no end mark: cut between chunks it is a shorter valid stream (the batch CRC
            // catches that), anywhere else it is damage.
            let prefix: Buffer | undefined;
            const code = codeOf(() => (prefix = decompress(id, truncated, 1 * MiB)));
            if (prefix) expectBytes(prefix, plain.subarray(0, prefix.length));
            else expect(code).toBe('SPOOL_ERR_CORRUPT_BATCH');
          } else {
            expect(codeOf(() => decompress(id, truncated, 1 * MiB))).toBe('SPOOL_ERR_CORRUPT_BATCH');
          }
          const damaged = Buffer.from(block);
          damaged[at % damaged.length]! ^= flip;
          // A flip may still decode (to other bytes: the batch CRC catches that before); it must not crash.
          expect([undefined, 'SPOOL_ERR_CORRUPT_BATCH', 'SPOOL_ERR_DECOMPRESSED_TOO_LARGE']).toContain(codeOf(() => decompress(id, damaged, 1 * MiB)));
        }),
        { numRuns: 150 },
      );
    });

    it(`${name}: refuses a 256 MiB bomb at an 8 MiB limit`, () => {
      const plain = Buffer.alloc(256 * MiB);
      const bomb = compress(id, plain);
      expect(bomb.length).toBeLessThan(16 * MiB);
      expect(codeOf(() => decompress(id, bomb, 8 * MiB))).toBe('SPOOL_ERR_DECOMPRESSED_TOO_LARGE');
    });
  }

  it('names codecs by id and ids by name, and nothing else', () => {
    expect(compressionIdOf('zstd')).toBe(4);
    expect(compressionIdOf('none')).toBe(0);
    for (const name of ['toString', '__proto__', 'ZSTD', 'brotli', '']) expect(compressionIdOf(name)).toBeUndefined();
    for (const id of [5, 6, 7]) expect(codeOf(() => decompress(id, Buffer.from('x'), 10))).toBe('SPOOL_ERR_UNSUPPORTED_COMPRESSION');
    expect(() => decompress(Compression.gzip, gzipSync('x'), -1)).toThrow(RangeError);
  });
});

describe('snappy forms', () => {
  const plain = Buffer.from('snappy records '.repeat(10_000));

  it('reads the raw block librdkafka sends', () => {
    expectBytes(decompress(Compression.snappy, compressSnappyRaw(plain), plain.length), plain);
  });

  it('writes the xerial form the Java client writes, in 32 KiB chunks', () => {
    const block = compress(Compression.snappy, plain);
    expect(block.subarray(0, 8)).toEqual(XERIAL_MAGIC);
    expect(block.readInt32BE(8)).toBe(1);
    expect(block.readInt32BE(12)).toBe(1);
    const firstChunk = block.subarray(20, 20 + block.readInt32BE(16));
    expectBytes(decompress(Compression.snappy, firstChunk, XERIAL_CHUNK_BYTES), plain.subarray(0, XERIAL_CHUNK_BYTES));
  });

  it('reads xerial streams of raw chunks of any size', () => {
    const chunks = [plain.subarray(0, 10), plain.subarray(10, 70_000), plain.subarray(70_000)].map(compressSnappyRaw);
    expectBytes(decompress(Compression.snappy, xerial(chunks), plain.length), plain);
    expectBytes(decompress(Compression.snappy, xerial([]), 0), Buffer.alloc(0));
  });

  it('decodes small chunks in JavaScript exactly as the native decoder does', () => {
    fc.assert(
      fc.property(blockArbitrary, fc.array(fc.integer({ min: 1, max: 16 * 1024 }), { minLength: 1, maxLength: 20 }), (plain, sizes) => {
        const chunks: Buffer[] = [];
        for (let start = 0, i = 0; start < plain.length; start += sizes[i++ % sizes.length]!) chunks.push(plain.subarray(start, start + sizes[i % sizes.length]!));
        expectBytes(decompress(Compression.snappy, xerial(chunks.map(compressSnappyRaw)), plain.length), plain);
      }),
      { numRuns: 60 },
    );
  });

  it('reads a stream of 100,000 one-byte chunks', () => {
    const chunk = compressSnappyRaw(Buffer.from('x'));
    expectBytes(decompress(Compression.snappy, xerial(Array.from({ length: 100_000 }, () => chunk)), 100_000), Buffer.alloc(100_000, 'x'));
  });

  it('refuses a forged length preamble before allocating, and damaged framing as corrupt', () => {
    // A raw block declaring 4 GiB - 1 in its preamble, with nothing behind it.
    const forged = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    expect(codeOf(() => decompress(Compression.snappy, forged, 8 * MiB))).toBe('SPOOL_ERR_DECOMPRESSED_TOO_LARGE');
    expect(codeOf(() => decompress(Compression.snappy, xerial([forged, forged]), 8 * MiB))).toBe('SPOOL_ERR_DECOMPRESSED_TOO_LARGE');
    const preambleTooLong = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
    expect(codeOf(() => decompress(Compression.snappy, preambleTooLong, 8 * MiB))).toBe('SPOOL_ERR_CORRUPT_BATCH');
    const chunkPastEnd = xerial([compressSnappyRaw(plain)]);
    chunkPastEnd.writeInt32BE(0x7fffffff, 16);
    expect(codeOf(() => decompress(Compression.snappy, chunkPastEnd, 8 * MiB))).toBe('SPOOL_ERR_CORRUPT_BATCH');
    const negativeChunk = xerial([compressSnappyRaw(plain)]);
    negativeChunk.writeInt32BE(-1, 16);
    expect(codeOf(() => decompress(Compression.snappy, negativeChunk, 8 * MiB))).toBe('SPOOL_ERR_CORRUPT_BATCH');
    expect(codeOf(() => decompress(Compression.snappy, XERIAL_MAGIC, 8 * MiB))).toBe('SPOOL_ERR_CORRUPT_BATCH');
  });
});

/** Frames written by the reference command-line tools, when the machine has them (the Debian zstd and lz4 packages). */
function referenceTool(tool: string, args: string[], input: Buffer): Buffer | undefined {
  try {
    return execFileSync(tool, args, { input, maxBuffer: 64 * MiB, stdio: ['pipe', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

describe('lz4 frames', () => {
  const plain = Buffer.from(Array.from({ length: 20_000 }, (_, i) => `record ${i % 97} `).join(''));

  it('bounds a frame by its blocks, and trusts no more than it declares', () => {
    const block = compress(Compression.lz4, plain);
    const bound = lz4DecompressedBound(block);
    expect(bound).toBeGreaterThanOrEqual(plain.length);
    // A frame of one uncompressed block: the bound is exact.
    const stored = Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]), Buffer.from([5, 0, 0, 0x80]), Buffer.from('hello'), Buffer.alloc(4)]);
    expect(lz4DecompressedBound(stored)).toBe(5);
    expectBytes(decompress(Compression.lz4, stored, 5), Buffer.from('hello'));
    expect(codeOf(() => decompress(Compression.lz4, stored, 4))).toBe('SPOOL_ERR_DECOMPRESSED_TOO_LARGE');
  });

  it('refuses bad framing as corrupt', () => {
    const block = compress(Compression.lz4, plain);
    for (const damage of [
      (b: Buffer) => b.writeUInt32LE(0x184d2205, 0), // magic
      (b: Buffer) => (b[4] = 0x00), // version bits 00
      (b: Buffer) => (b[5] = 0x30), // block maximum id 3
      (b: Buffer) => (b[4]! |= 0x01), // dictionary id
    ]) {
      const damaged = Buffer.from(block);
      damage(damaged);
      expect(codeOf(() => decompress(Compression.lz4, damaged, 8 * MiB))).toBe('SPOOL_ERR_CORRUPT_BATCH');
    }
  });

  it('reads frames written by the reference lz4 tool (content size, block and content checksums, 64 KiB blocks)', (context) => {
    const frame = referenceTool('lz4', ['-c', '-B4', '-BD', '--content-size', '-BX'], plain);
    if (!frame) return context.skip('the lz4 command is not installed');
    expectBytes(decompress(Compression.lz4, frame, plain.length), plain);
    expect(codeOf(() => decompress(Compression.lz4, frame, plain.length - 1))).toBe('SPOOL_ERR_DECOMPRESSED_TOO_LARGE');
  });
});

describe('zstd frames', () => {
  const plain = Buffer.from(Array.from({ length: 50_000 }, (_, i) => `event ${i % 1013} `).join(''));

  it('uses a declared content size when the frame has one', () => {
    // magic | descriptor: single segment, 1-byte content size 5 | last raw block of 5 bytes
    const frame = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, 5, 0x29, 0, 0]), Buffer.from('hello')]);
    expect(zstdFramingBound(frame).declared).toBe(5);
    expectBytes(decompress(Compression.zstd, frame, 5), Buffer.from('hello'));
    expect(codeOf(() => decompress(Compression.zstd, frame, 4))).toBe('SPOOL_ERR_DECOMPRESSED_TOO_LARGE');
  });

  it('reads several frames and skippable frames back to back', () => {
    const a = Buffer.from('first frame '.repeat(100));
    const b = Buffer.from('second frame '.repeat(50));
    for (const id of [Compression.zstd, Compression.lz4]) {
      const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
      const frames = Buffer.concat([compress(id, a), skippable, compress(id, b)]);
      expectBytes(decompress(id, frames, a.length + b.length), Buffer.concat([a, b]));
      expect(codeOf(() => decompress(id, frames, a.length + b.length - 1))).toBe('SPOOL_ERR_DECOMPRESSED_TOO_LARGE');
    }
  });

  it('reads frames without a content size (a streaming producer, as the Java client), bounded exactly', (context) => {
    const frame = referenceTool('zstd', ['-c', '-q', '--no-content-size'], plain);
    if (!frame) return context.skip('the zstd command is not installed');
    expect(zstdFramingBound(frame).declared).toBe(-1);
    expectBytes(decompress(Compression.zstd, frame, plain.length), plain);
    expect(codeOf(() => decompress(Compression.zstd, frame, plain.length - 1))).toBe('SPOOL_ERR_DECOMPRESSED_TOO_LARGE');
  });

  it('refuses a forged content size before decompressing, and reserved block types as corrupt', () => {
    // magic | descriptor: 8-byte content size, single segment | size 2^40 | last raw block of 1 byte "x"
    const forged = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0]), Buffer.from([0, 0, 0, 0, 1, 0, 0, 0]), Buffer.from([0x09, 0, 0]), Buffer.from('x')]);
    expect(codeOf(() => decompress(Compression.zstd, forged, 8 * MiB))).toBe('SPOOL_ERR_DECOMPRESSED_TOO_LARGE');
    const reserved = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x01]), Buffer.from([0x0f, 0, 0]), Buffer.from('x')]);
    expect(codeOf(() => decompress(Compression.zstd, reserved, 8 * MiB))).toBe('SPOOL_ERR_CORRUPT_BATCH');
    // 16 RLE blocks of 128 KiB of one byte each (2 MiB) in a frame with no content size: the bound
    // is exact for RLE blocks, so it is refused before decompressing.
    const rleBlock = (last: boolean) => {
      const header = Buffer.alloc(4);
      header.writeUIntLE(((128 * 1024) << 3) | (1 << 1) | (last ? 1 : 0), 0, 3);
      header[3] = 0x7a;
      return header;
    };
    const rle = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58]), ...Array.from({ length: 16 }, (_, i) => rleBlock(i === 15))]);
    expectBytes(decompress(Compression.zstd, rle, 2 * MiB), Buffer.alloc(2 * MiB, 0x7a));
    expect(codeOf(() => decompress(Compression.zstd, rle, 1 * MiB))).toBe('SPOOL_ERR_DECOMPRESSED_TOO_LARGE');
  });
});
