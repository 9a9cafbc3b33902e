/**
 * Cross-check with code nobody here wrote: kafkajs's own RecordBatch v2 encoder and decoder.
 * Batches it encodes decode with ours; batches we encode decode with its decoder, gzip and snappy
 * included, and carry the CRC-32C its own implementation computes. Snappy is kafkajs-snappy, the
 * codec KafkaJS users plug in: it sends raw snappy blocks and reads xerial (what Spool sends).
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Compression } from '../../../storage/codec/compression.js';
import { decodeRecordBatch, encodeRecordBatch } from '../../../storage/codec/record-batch.js';

const require = createRequire(import.meta.url);
const { RecordBatch: KafkaRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
const KafkaRecordBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder.js');
const KafkaRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
const KafkaDecoder = require('kafkajs/src/protocol/decoder.js');
const kafkaCrc32C = require('kafkajs/src/protocol/recordBatch/crc32C/index.js');
const { Types: KafkaCompression, Codecs: KafkaCodecs } = require('kafkajs/src/protocol/message/compression/index.js');
KafkaCodecs[KafkaCompression.Snappy] = require('kafkajs-snappy');
const Long = require('kafkajs/src/utils/long.js');

interface Sample {
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<{ key: string; value: Buffer }>;
  timestamp: number;
}

const sampleArbitrary: fc.Arbitrary<Sample[]> = fc.array(
  fc.record({
    key: fc.option(fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a)), { nil: null }),
    value: fc.option(fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)), { nil: null }),
    // kafkajs takes headers as a plain object: unique keys (prefixed, so none is an Object.prototype
    // name such as valueOf), non-null values.
    headers: fc.uniqueArray(fc.record({ key: fc.string({ minLength: 1, maxLength: 10 }).map((key) => `h-${key}`), value: fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a)) }), {
      selector: (header) => header.key,
      maxLength: 3,
    }),
    timestamp: fc.integer({ min: 1_500_000_000_000, max: 1_900_000_000_000 }),
  }),
  { minLength: 1, maxLength: 20 },
);

async function encodeWithKafkajs(samples: Sample[], baseOffset: number, compression: number): Promise<Buffer> {
  const firstTimestamp = Math.min(...samples.map((sample) => sample.timestamp));
  const records = samples.map((sample, i) =>
    KafkaRecord({
      offsetDelta: i,
      timestampDelta: sample.timestamp - firstTimestamp,
      key: sample.key,
      value: sample.value,
      headers: Object.fromEntries(sample.headers.map((header) => [header.key, header.value])),
    }),
  );
  const encoder = await KafkaRecordBatch({
    compression,
    firstOffset: Long.fromNumber(baseOffset),
    firstTimestamp,
    maxTimestamp: Math.max(...samples.map((sample) => sample.timestamp)),
    lastOffsetDelta: samples.length - 1,
    records,
  });
  return Buffer.from(encoder.buffer);
}

async function decodeWithKafkajs(batch: Buffer) {
  return KafkaRecordBatchDecoder(new KafkaDecoder(batch));
}

const nullableEqual = (ours: Buffer | null, theirs: Buffer | null) => expect(ours === null ? null : Buffer.from(ours)).toEqual(theirs === null ? null : Buffer.from(theirs));

describe('compatibility with kafkajs', () => {
  for (const [name, ourCodec, kafkaCodec] of [
    ['uncompressed', Compression.none, KafkaCompression.None],
    ['gzip', Compression.gzip, KafkaCompression.GZIP],
    ['snappy', Compression.snappy, KafkaCompression.Snappy],
  ] as const) {
    it(`decodes batches kafkajs encoded (${name})`, async () => {
      await fc.assert(
        fc.asyncProperty(sampleArbitrary, fc.integer({ min: 0, max: 2 ** 40 }), async (samples, baseOffset) => {
          const decoded = decodeRecordBatch(await encodeWithKafkajs(samples, baseOffset, kafkaCodec));
          expect(decoded.records).toHaveLength(samples.length);
          decoded.records.forEach((record, i) => {
            expect(record.offset).toBe(baseOffset + i);
            expect(record.timestamp).toBe(samples[i]!.timestamp);
            nullableEqual(record.key, samples[i]!.key);
            nullableEqual(record.value, samples[i]!.value);
            const ours = Object.fromEntries(record.headers.map((header) => [header.key, Buffer.from(header.value!)]));
            expect(ours).toEqual(Object.fromEntries(samples[i]!.headers.map((header) => [header.key, header.value])));
          });
        }),
        { numRuns: 60 },
      );
    });

    it(`encodes batches kafkajs decodes, with the CRC kafkajs computes (${name})`, async () => {
      await fc.assert(
        fc.asyncProperty(sampleArbitrary, fc.integer({ min: 0, max: 2 ** 40 }), async (samples, baseOffset) => {
          const batch = encodeRecordBatch(samples, { baseOffset, compression: ourCodec });
          expect(batch.readUInt32BE(17)).toBe(kafkaCrc32C(batch.subarray(21)) >>> 0);
          const decoded = await decodeWithKafkajs(batch);
          expect(decoded.firstOffset).toBe(String(baseOffset));
          expect(decoded.records).toHaveLength(samples.length);
          decoded.records.forEach((record: { key: Buffer | null; value: Buffer | null; offset: string; timestamp: string; headers: Record<string, Buffer> }, i: number) => {
            expect(record.offset).toBe(String(baseOffset + i));
            expect(record.timestamp).toBe(String(samples[i]!.timestamp));
            nullableEqual(record.key, samples[i]!.key);
            nullableEqual(record.value, samples[i]!.value);
            // kafkajs hands headers back as an object, whose key order JavaScript decides: compare as maps.
            const theirs = Object.fromEntries(Object.entries(record.headers).map(([key, value]) => [key, Buffer.from(value)]));
            expect(theirs).toEqual(Object.fromEntries(samples[i]!.headers.map((header) => [header.key, header.value])));
          });
        }),
        { numRuns: 60 },
      );
    });
  }
});
