/**
 * Snappy, in the two forms Kafka clients send (attributes compression id 2):
 *
 *   raw block:   uncompressedLength varint (little-endian base 128) | snappy elements
 *                (librdkafka's default; one block for the whole records section)
 *
 *   xerial:      magic 82 53 4E 41 50 50 59 00 ("\x82SNAPPY\0") | version int32 BE |
 *                compatibleVersion int32 BE | (chunkLength int32 BE | raw block)*
 *                (the Java client's SnappyOutputStream and KafkaJS; librdkafka reads and may send it)
 *
 * Every raw block declares its exact decompressed length up front and the decoder checks the
 * output against it, so the sum of the declared lengths is checked against the caller's limit
 * before anything is allocated. A raw block, and xerial chunks of 16 KiB or more, go to the native
 * decoder; smaller chunks are decoded in JavaScript (snappy-block.ts), because a native call costs
 * microseconds and a stream of a million tiny chunks would otherwise hold the event loop for seconds. Compression writes the xerial form with 32 KiB chunks, as the Java
 * client does: every Kafka client reads it.
 */
import { BoundedOutput } from './bounded-output.js';
import { corruptBlock, rethrowAsCorrupt, tooLarge } from './codec-errors.js';
import { decodeSnappyElements } from './snappy-block.js';
import { nativeLoader } from './native-package.js';

type SnappyPackage = typeof import('snappy');
const snappy = nativeLoader<SnappyPackage>('snappy', 'snappy');

const CODEC = 'snappy';
export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = XERIAL_MAGIC.length + 8;
/** What the Java client writes (and reads as compatible): version 1, compatible with 1. */
const XERIAL_VERSION = 1;
const XERIAL_COMPATIBLE_VERSION = 1;
/** SnappyOutputStream's default block size, which Kafka's Java producer uses. */
export const XERIAL_CHUNK_BYTES = 32 * 1024;
/** A raw block's length preamble is a varint of at most 32 bits: 5 bytes. */
const PREAMBLE_BYTES_MAX = 5;
/** Xerial chunks declaring at least this go to the native decoder, whose per-call cost is then small. */
const NATIVE_CHUNK_BYTES_MIN = 16 * 1024;

interface Chunk {
  /** Where the raw block (its preamble) starts and ends. */
  start: number;
  end: number;
  /** Where its elements start, after the preamble. */
  elementsStart: number;
  declared: number;
}

/** Reads the decompressed length a raw block declares in its preamble. */
function readPreamble(data: Buffer, start: number, end: number): Chunk {
  let declared = 0;
  for (let i = 0; i < PREAMBLE_BYTES_MAX; i++) {
    if (start + i >= end) corruptBlock(CODEC, 'the length preamble is truncated');
    const byte = data[start + i]!;
    declared += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) {
      if (declared > 0xffffffff) corruptBlock(CODEC, `the length preamble ${declared} exceeds 32 bits`);
      return { start, end, elementsStart: start + i + 1, declared };
    }
  }
  return corruptBlock(CODEC, 'the length preamble runs past 5 bytes');
}

function isXerial(data: Buffer): boolean {
  return data.length >= XERIAL_MAGIC.length && data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC);
}

/** The raw blocks of a xerial stream, checked to tile it exactly. */
function xerialChunks(data: Buffer): Chunk[] {
  if (data.length < XERIAL_HEADER_BYTES) corruptBlock(CODEC, `the xerial header is truncated: ${data.length} of ${XERIAL_HEADER_BYTES} bytes`);
  const chunks: Chunk[] = [];
  let position = XERIAL_HEADER_BYTES;
  while (position < data.length) {
    if (data.length - position < 4) corruptBlock(CODEC, `a xerial chunk length is truncated at byte ${position}`);
    const length = data.readInt32BE(position);
    position += 4;
    if (length < 0 || length > data.length - position) corruptBlock(CODEC, `xerial chunk length ${length} at byte ${position - 4} runs past the block`);
    chunks.push(readPreamble(data, position, position + length));
    position += length;
  }
  return chunks;
}

function uncompressNative(data: Buffer, chunk: Chunk): Buffer {
  try {
    return snappy().uncompressSync(data.subarray(chunk.start, chunk.end), { asBuffer: true }) as Buffer;
  } catch (error) {
    return rethrowAsCorrupt(CODEC, error);
  }
}

/** The chunks of a xerial stream, into one buffer of their declared total. */
function decompressChunks(data: Buffer, chunks: Chunk[], declared: number): Buffer {
  const output = new BoundedOutput(CODEC, declared, declared, () => corruptBlock(CODEC, 'a chunk decompresses past its declared length'));
  for (const chunk of chunks) {
    const before = output.length;
    if (chunk.declared >= NATIVE_CHUNK_BYTES_MIN) {
      const plain = uncompressNative(data, chunk);
      output.append(plain, 0, plain.length);
    } else {
      decodeSnappyElements(data, chunk.elementsStart, chunk.end, output);
    }
    if (output.length - before !== chunk.declared) corruptBlock(CODEC, `a chunk declares ${chunk.declared} bytes and holds ${output.length - before}`);
  }
  return output.result();
}

export function decompressSnappy(data: Buffer, maxBytes: number): Buffer {
  const xerial = isXerial(data);
  const chunks = xerial ? xerialChunks(data) : [readPreamble(data, 0, data.length)];
  const declared = chunks.reduce((sum, chunk) => sum + chunk.declared, 0);
  if (declared > maxBytes) tooLarge(CODEC, declared, maxBytes);
  return xerial ? decompressChunks(data, chunks, declared) : uncompressNative(data, chunks[0]!);
}

export function compressSnappy(data: Buffer): Buffer {
  const header = Buffer.allocUnsafe(XERIAL_HEADER_BYTES);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(XERIAL_VERSION, XERIAL_MAGIC.length);
  header.writeInt32BE(XERIAL_COMPATIBLE_VERSION, XERIAL_MAGIC.length + 4);
  const parts: Buffer[] = [header];
  for (let start = 0; start < data.length; start += XERIAL_CHUNK_BYTES) {
    const block = snappy().compressSync(data.subarray(start, start + XERIAL_CHUNK_BYTES));
    const length = Buffer.allocUnsafe(4);
    length.writeInt32BE(block.length, 0);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

/** The raw form (what librdkafka sends by default), for tests and tools that need it. */
export function compressSnappyRaw(data: Buffer): Buffer {
  return snappy().compressSync(data);
}
