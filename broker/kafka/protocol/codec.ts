/**
 * The one encoder and decoder of the Kafka protocol, driven by compiled message definitions
 * (schema.ts). Wire forms, per field kind:
 *
 *   int8/16/32/64, uint16, float64   big-endian, fixed size
 *   bool                             one byte, 0 = false
 *   uuid                             16 bytes (a hex string here)
 *   string        int16 length (-1 = null) | utf8       compact: uvarint(length + 1) (0 = null)
 *   bytes/records int32 length (-1 = null) | bytes      compact: uvarint(length + 1)
 *   array         int32 count (-1 = null) | elements    compact: uvarint(count + 1)
 *   struct        its fields in order; flexible versions end it with a tag buffer:
 *                 uvarint count | (uvarint tag | uvarint size | field)*, tags ascending
 *
 * Decoding is bounded: every length is checked against the bytes left, and the elements of all
 * arrays of one message count against `elementsMax`, so a forged count allocates nothing.
 */
import { brokerLimits } from '../../limits.js';
import { KafkaFrameError } from './frame-error.js';
import type { Reader } from './reader.js';
import type { CompiledField, CompiledStruct, Primitive } from './schema.js';
import { Writer } from './writer.js';

export type Message = Record<string, any>;

interface Budget {
  elements: number;
}

function readLength(field: CompiledField, r: Reader, wide: boolean): number {
  if (field.compact) return r.uvarint() - 1;
  return wide ? r.int32() : r.int16();
}

function readPrimitive(kind: Primitive, field: CompiledField, r: Reader): unknown {
  switch (kind) {
    case 'int8':
      return r.int8();
    case 'int16':
      return r.int16();
    case 'uint16':
      return r.uint16();
    case 'int32':
      return r.int32();
    case 'int64':
      return r.int64();
    case 'float64':
      return r.float64();
    case 'bool':
      return r.bool();
    case 'uuid':
      return r.uuid();
    case 'string': {
      const length = readLength(field, r, false);
      if (length < 0) return nullOrThrow(field, length);
      const start = r.position;
      r.skip(length);
      return r.buffer.toString('utf8', start, start + length);
    }
    case 'bytes':
    case 'records': {
      const length = readLength(field, r, true);
      if (length < 0) return nullOrThrow(field, length);
      return r.slice(length);
    }
  }
}

function nullOrThrow(field: CompiledField, length: number): null {
  if (length === -1 && field.nullable) return null;
  throw new KafkaFrameError(`${field.key}: length ${length} where ${field.nullable ? 'at least -1' : 'no null'} is allowed`);
}

function readArray(field: CompiledField, r: Reader, budget: Budget): unknown[] | null {
  const count = readLength(field, r, true);
  if (count < 0) {
    if (count === -1) return field.nullable ? null : [];
    throw new KafkaFrameError(`${field.key}: array count ${count}`);
  }
  // Every element takes at least one byte: a count past the frame's end is forged.
  if (count > r.remaining) throw new KafkaFrameError(`${field.key}: array of ${count} in ${r.remaining} bytes`);
  budget.elements += count;
  if (budget.elements > brokerLimits.kafkaElementsPerRequestMax) {
    throw new KafkaFrameError(`more than ${brokerLimits.kafkaElementsPerRequestMax} array elements in one request`);
  }
  const items = new Array(count);
  for (let i = 0; i < count; i++) {
    items[i] = field.element === 'struct' ? readStruct(field.struct!, r, budget) : readPrimitive(field.element!, field, r);
  }
  return items;
}

function readField(field: CompiledField, r: Reader, budget: Budget): unknown {
  if (field.kind === 'array') return readArray(field, r, budget);
  if (field.kind === 'struct') return readStruct(field.struct!, r, budget);
  return readPrimitive(field.kind, field, r);
}

function readTagBuffer(struct: CompiledStruct, r: Reader, out: Message, budget: Budget): void {
  const count = r.uvarint();
  if (count > r.remaining) throw new KafkaFrameError(`tag buffer of ${count} fields in ${r.remaining} bytes`);
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint();
    const size = r.uvarint();
    const end = r.position + size;
    if (end > r.end) throw new KafkaFrameError(`tagged field ${tag} of ${size} bytes runs past the frame`);
    const field = struct.tagged.find((candidate) => candidate.tag === tag);
    if (!field) {
      r.skip(size); // unknown tags are skipped, as the protocol requires
      continue;
    }
    out[field.key] = readField(field, r, budget);
    if (r.position !== end) throw new KafkaFrameError(`tagged field ${tag} is ${size} bytes, its value ${r.position - end + size}`);
  }
}

function readStruct(struct: CompiledStruct, r: Reader, budget: Budget): Message {
  const out: Message = {};
  for (const field of struct.fields) out[field.key] = readField(field, r, budget);
  for (const field of struct.tagged) out[field.key] = field.defaultValue;
  for (const { key, value } of struct.absent) out[key] = value;
  if (struct.flexible) readTagBuffer(struct, r, out, budget);
  return out;
}

export function decodeMessage(struct: CompiledStruct, r: Reader): Message {
  return readStruct(struct, r, { elements: 0 });
}

function writeLength(field: CompiledField, w: Writer, length: number, wide: boolean): void {
  if (field.compact) w.uvarint(length + 1);
  else if (wide) w.int32(length);
  else w.int16(length);
}

function writePrimitive(kind: Primitive, field: CompiledField, w: Writer, value: any): void {
  switch (kind) {
    case 'int8':
      return w.int8(value);
    case 'int16':
      return w.int16(value);
    case 'uint16':
      return w.uint16(value);
    case 'int32':
      return w.int32(value);
    case 'int64':
      return w.int64(value);
    case 'float64':
      return w.float64(value);
    case 'bool':
      return w.bool(value);
    case 'uuid':
      return w.uuid(value);
    case 'string': {
      if (value === null) return writeNull(field, w, false);
      const bytes = Buffer.byteLength(value);
      writeLength(field, w, bytes, false);
      return w.utf8(value, bytes);
    }
    case 'bytes':
    case 'records': {
      if (value === null) return writeNull(field, w, true);
      writeLength(field, w, value.length, true);
      return w.bytes(value);
    }
  }
}

function writeNull(field: CompiledField, w: Writer, wide: boolean): void {
  if (!field.nullable) throw new Error(`${field.key} is not nullable in this version`);
  writeLength(field, w, -1, wide);
}

function writeField(field: CompiledField, w: Writer, value: any): void {
  if (value === undefined) value = field.defaultValue;
  if (field.kind === 'struct') return writeStruct(field.struct!, w, value ?? {});
  if (field.kind !== 'array') return writePrimitive(field.kind, field, w, value);
  if (value === null) return writeNull(field, w, true);
  writeLength(field, w, value.length, true);
  for (const item of value) {
    if (field.element === 'struct') writeStruct(field.struct!, w, item);
    else writePrimitive(field.element!, field, w, item);
  }
}

function isDefault(field: CompiledField, value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (field.kind === 'array') return (value as unknown[]).length === 0;
  if (field.kind === 'struct') return false;
  return value === field.defaultValue;
}

function writeStruct(struct: CompiledStruct, w: Writer, value: Message): void {
  for (const field of struct.fields) writeField(field, w, value[field.key]);
  if (!struct.flexible) return;
  const present = struct.tagged.filter((field) => !isDefault(field, value[field.key]));
  w.uvarint(present.length);
  for (const field of present) {
    const inner = new Writer(64);
    writeField(field, inner, value[field.key]);
    w.uvarint(field.tag!);
    w.uvarint(inner.length);
    for (const chunk of inner.finish()) w.bytes(chunk);
  }
}

export function encodeMessage(struct: CompiledStruct, value: Message, w: Writer): void {
  writeStruct(struct, w, value);
}
