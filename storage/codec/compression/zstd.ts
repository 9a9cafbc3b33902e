/**
 * Zstandard frames (attributes compression id 4). All integers little-endian.
 *
 *   frame:       magic 28 B5 2F FD | descriptor | [window u8] | [dictId 0/1/2/4] |
 *                [contentSize 0/1/2/4/8] | block* | [checksum u32]
 *   descriptor:  bits 7-6 content-size field size, 5 single segment, 2 checksum, 1-0 dictId size
 *   block:       header u24 (bit 0 last, bits 2-1 type: 0 raw, 1 RLE, 2 compressed, bits 23-3 size)
 *                raw: size bytes | RLE: 1 byte repeated size times | compressed: size bytes that
 *                decompress to at most 128 KiB
 *   skippable:   magic 5x 2A 4D 18 | size u32 | data (ignored)
 *
 * The framing bounds the output before anything is decompressed: raw and RLE blocks yield their
 * size, a compressed block at most 128 KiB (ZSTD_BLOCKSIZE_MAX). A declared content size must be
 * met exactly (the decoder checks it), so one over the limit is refused at once. When the block
 * bound fits the limit, the native decoder runs; when it does not (frames without a content size
 * and with short blocks: the bound is loose for RLE-heavy compressed blocks), a streaming decoder
 * counts the output block by block and stops at the limit, so a bomb costs at most the limit.
 */
import { Decompress as StreamingDecompress } from 'fzstd';
import { corruptBlock, rethrowAsCorrupt, tooLarge } from './codec-errors.js';
import { FrameReader } from './frame-reader.js';
import { nativeLoader } from './native-package.js';

type ZstdPackage = typeof import('@toondepauw/node-zstd');
const zstd = nativeLoader<ZstdPackage>('zstd', '@toondepauw/node-zstd');

const CODEC = 'zstd';
const FRAME_MAGIC = 0xfd2fb528;
const COMPRESSED_BLOCK_BYTES_MAX = 128 * 1024;
const DICTIONARY_ID_BYTES = [0, 1, 2, 4];
const CONTENT_SIZE_BYTES = [0, 2, 4, 8];
const BLOCK_RLE = 1;
const BLOCK_COMPRESSED = 2;
const BLOCK_RESERVED = 3;
/** Kafka's default compression.zstd.level (and zstd's own default). */
const COMPRESSION_LEVEL = 3;

interface FramingBound {
  /** Most bytes the blocks can yield. */
  blocks: number;
  /** Sum of the declared content sizes; -1 when some frame declares none. */
  declared: number;
}

/** Reads one frame after its magic: what its blocks may yield, and the content size it declares. */
function readFrame(reader: FrameReader): { blocks: number; declared: number } {
  const descriptor = reader.u8('the frame header');
  const singleSegment = (descriptor & 0x20) !== 0;
  if (descriptor & 0x08) corruptBlock(CODEC, 'the frame header reserved bit is set');
  if (!singleSegment) reader.skip(1, 'the window descriptor');
  reader.skip(DICTIONARY_ID_BYTES[descriptor & 0x03]!, 'the dictionary id');
  const contentSizeBytes = singleSegment && descriptor >> 6 === 0 ? 1 : CONTENT_SIZE_BYTES[descriptor >> 6]!;
  // A 2-byte content size counts from 256 (RFC 8878 3.1.1.1.4).
  const declared = contentSizeBytes === 0 ? -1 : reader.uint(contentSizeBytes, 'the content size') + (contentSizeBytes === 2 ? 256 : 0);
  let blocks = 0;
  for (let last = false; !last; ) {
    const header = reader.uint(3, 'a block header');
    last = (header & 1) === 1;
    const type = (header >> 1) & 0x03;
    const size = header >>> 3;
    if (type === BLOCK_RESERVED) corruptBlock(CODEC, `block type 3 (reserved) at byte ${reader.position - 3}`);
    if (type === BLOCK_COMPRESSED && size > COMPRESSED_BLOCK_BYTES_MAX) corruptBlock(CODEC, `compressed block of ${size} bytes exceeds ${COMPRESSED_BLOCK_BYTES_MAX}`);
    // Raw and RLE blocks yield exactly their size; a compressed one at most the block maximum.
    blocks += type === BLOCK_COMPRESSED ? COMPRESSED_BLOCK_BYTES_MAX : size;
    reader.skip(type === BLOCK_RLE ? 1 : size, 'a block');
  }
  if (descriptor & 0x04) reader.skip(4, 'the content checksum');
  return { blocks, declared };
}

/** What the frames in `data` can yield, from their framing alone. */
export function zstdFramingBound(data: Buffer): FramingBound {
  const reader = new FrameReader(CODEC, data);
  let frames = 0;
  const bound: FramingBound = { blocks: 0, declared: 0 };
  while (!reader.atEnd) {
    const magic = reader.u32('a frame magic');
    if (reader.skippedFrame(magic)) continue;
    if (magic !== FRAME_MAGIC) corruptBlock(CODEC, `frame magic ${magic.toString(16)} is not ${FRAME_MAGIC.toString(16)}`);
    const frame = readFrame(reader);
    bound.blocks += frame.blocks;
    bound.declared = bound.declared < 0 || frame.declared < 0 ? -1 : bound.declared + frame.declared;
    frames++;
  }
  if (frames === 0) corruptBlock(CODEC, 'no zstd frame in the block');
  return bound;
}

/** Decodes block by block, stopping as soon as the output passes `maxBytes`. */
function decompressCounting(data: Buffer, maxBytes: number): Buffer {
  const parts: Uint8Array[] = [];
  let total = 0;
  const decoder = new StreamingDecompress((chunk) => {
    total += chunk.length;
    if (total > maxBytes) tooLarge(CODEC, total, maxBytes);
    parts.push(chunk);
  });
  try {
    decoder.push(data, true);
  } catch (error) {
    return rethrowAsCorrupt(CODEC, error);
  }
  return Buffer.concat(parts, total);
}

// One native context each, made on first use: they are reusable, and costly to create per batch.
let decoder: InstanceType<ZstdPackage['Decoder']> | undefined;
let encoder: InstanceType<ZstdPackage['Encoder']> | undefined;

export function decompressZstd(data: Buffer, maxBytes: number): Buffer {
  const bound = zstdFramingBound(data);
  if (bound.declared > maxBytes) tooLarge(CODEC, bound.declared, maxBytes);
  if (bound.blocks > maxBytes) return decompressCounting(data, maxBytes);
  let plain: Buffer;
  try {
    decoder ??= new (zstd().Decoder)();
    plain = decoder.decodeSync(data);
  } catch (error) {
    return rethrowAsCorrupt(CODEC, error);
  }
  // The framing bounds the output; this guards the bound itself.
  if (plain.length > bound.blocks) corruptBlock(CODEC, `decompressed to ${plain.length} bytes, more than its framing allows (${bound.blocks})`);
  return plain;
}

export function compressZstd(data: Buffer): Buffer {
  encoder ??= new (zstd().Encoder)(COMPRESSION_LEVEL);
  return encoder.encodeSync(data);
}
