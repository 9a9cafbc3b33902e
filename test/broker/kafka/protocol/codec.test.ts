/**
 * The generic codec over Kafka's definitions: every served message at every version round-trips
 * (fast-check values built from the compiled definition), truncated input and random corruption
 * throw KafkaFrameError and nothing else, forged counts allocate nothing, unknown tags are skipped.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, type Message } from '../../../../broker/kafka/protocol/codec.js';
import { KafkaFrameError } from '../../../../broker/kafka/protocol/frame-error.js';
import { messages, RequestHeader } from '../../../../broker/kafka/protocol/messages.js';
import { Reader } from '../../../../broker/kafka/protocol/reader.js';
import type { CompiledField, CompiledMessage, CompiledStruct, Primitive } from '../../../../broker/kafka/protocol/schema.js';
import { Writer } from '../../../../broker/kafka/protocol/writer.js';

function primitive(kind: Primitive): fc.Arbitrary<unknown> {
  switch (kind) {
    case 'int8':
      return fc.integer({ min: -128, max: 127 });
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'uint16':
      return fc.integer({ min: 0, max: 65535 });
    case 'int32':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'int64':
      return fc.maxSafeInteger();
    case 'float64':
      return fc.double({ noNaN: true });
    case 'bool':
      return fc.boolean();
    case 'uuid':
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => Buffer.from(bytes).toString('hex'));
    case 'string':
      return fc.string({ unit: 'grapheme', maxLength: 20 });
    case 'bytes':
    case 'records':
      return fc.uint8Array({ maxLength: 5000 }).map((bytes) => Buffer.from(bytes));
  }
}

function fieldValue(field: CompiledField): fc.Arbitrary<unknown> {
  let value: fc.Arbitrary<unknown>;
  if (field.kind === 'struct') value = structValue(field.struct!);
  else if (field.kind === 'array') value = fc.array(field.element === 'struct' ? structValue(field.struct!) : primitive(field.element!), { maxLength: 3 });
  else value = primitive(field.kind);
  if (field.kind === 'struct' && field.tag !== null) return fc.option(value, { nil: null });
  return field.nullable ? fc.option(value, { nil: null }) : value;
}

function structValue(struct: CompiledStruct): fc.Arbitrary<Message> {
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of [...struct.fields, ...struct.tagged]) shape[field.key] = fieldValue(field);
  return fc.record(shape);
}

function encode(struct: CompiledStruct, value: Message): Buffer {
  const writer = new Writer(16);
  encodeMessage(struct, value, writer);
  return Buffer.concat(writer.finish());
}

const definitions: Array<[string, CompiledMessage]> = [['RequestHeader', RequestHeader]];
for (const [name, { request, response }] of Object.entries(messages)) definitions.push([`${name}Request`, request], [`${name}Response`, response]);

describe('Kafka codec', () => {
  for (const [name, definition] of definitions) {
    const { min, max } = definition.versions;
    it(`${name} v${min}-v${max} round-trips`, () => {
      for (let version = min; version <= max; version++) {
        const struct = definition.at(version);
        fc.assert(
          fc.property(structValue(struct), (value) => {
            const bytes = encode(struct, value);
            const reader = new Reader(bytes);
            const decoded = decodeMessage(struct, reader);
            expect(reader.remaining).toBe(0);
            expect(decoded).toMatchObject(value);
            expect(encode(struct, decoded)).toEqual(bytes);
          }),
          { numRuns: 25 },
        );
      }
    });
  }

  it('every truncation of a message throws KafkaFrameError', () => {
    const struct = messages.Produce.request.at(9);
    const bytes = encode(struct, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'orders', partitionData: [{ index: 0, records: Buffer.alloc(100, 7) }] }] });
    for (let length = 0; length < bytes.length; length++) {
      expect(() => decodeMessage(struct, new Reader(bytes.subarray(0, length))), `prefix of ${length}`).toThrow(KafkaFrameError);
    }
  });

  it('corrupted bytes decode or throw KafkaFrameError, nothing else', () => {
    const struct = messages.Fetch.request.at(12);
    const valid = encode(struct, { maxWaitMs: 500, minBytes: 1, maxBytes: 1 << 20, topics: [{ topic: 'a', partitions: [{ partition: 0, fetchOffset: 5, partitionMaxBytes: 1000 }] }], forgottenTopicsData: [], rackId: '' });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (edits) => {
        const bytes = Buffer.from(valid);
        for (const [at, byte] of edits) bytes[at] = byte;
        try {
          decodeMessage(struct, new Reader(bytes));
        } catch (error) {
          expect(error).toBeInstanceOf(KafkaFrameError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses forged array counts and lengths before allocating', () => {
    const struct = messages.Metadata.request.at(1);
    const forged = Buffer.alloc(8);
    forged.writeInt32BE(2 ** 31 - 1, 0);
    expect(() => decodeMessage(struct, new Reader(forged))).toThrow(/array of 2147483647/);
    forged.writeInt32BE(-7, 0);
    expect(() => decodeMessage(struct, new Reader(forged))).toThrow(KafkaFrameError);
    const flexible = messages.Metadata.request.at(12);
    expect(() => decodeMessage(flexible, new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])))).toThrow(/varint/);
  });

  it('skips unknown tagged fields and refuses one that runs past the frame', () => {
    const struct = messages.ApiVersions.request.at(3);
    const known = encode(struct, { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
    const withTag = Buffer.concat([known.subarray(0, known.length - 1), Buffer.from([1, 42, 3, 9, 9, 9])]);
    expect(decodeMessage(struct, new Reader(withTag))).toMatchObject({ clientSoftwareName: 'x', clientSoftwareVersion: '1' });
    const pastEnd = Buffer.concat([known.subarray(0, known.length - 1), Buffer.from([1, 42, 100, 9])]);
    expect(() => decodeMessage(struct, new Reader(pastEnd))).toThrow(/runs past the frame/);
  });

  it('gives a field a version lacks null where the field may be null at all (JoinGroup v4 has no GroupInstanceId: a dynamic member)', () => {
    const v4 = messages.JoinGroup.request.at(4);
    const body = { groupId: 'g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 5000, memberId: '', protocolType: 'consumer', protocols: [] };
    expect(decodeMessage(v4, new Reader(encode(v4, body)))).toMatchObject({ groupInstanceId: null, reason: null });
    const sync3 = messages.SyncGroup.request.at(3);
    const decoded = decodeMessage(sync3, new Reader(encode(sync3, { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null, assignments: [] })));
    expect(decoded).toMatchObject({ protocolType: null, protocolName: null });
  });

  it('keeps record sets uncopied: a fetch answer is written around them', () => {
    const records = Buffer.alloc(100_000, 3);
    const writer = new Writer(16);
    encodeMessage(messages.Fetch.response.at(12), { responses: [{ topic: 't', partitions: [{ partitionIndex: 0, highWatermark: 1, records }] }] }, writer);
    expect(writer.finish()).toContain(records);
  });
});
