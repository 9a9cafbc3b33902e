/**
 * LZ4 frame format (attributes compression id 3), as Kafka clients send it with magic 2. All
 * integers little-endian.
 *
 *   frame:       magic 04 22 4D 18 | FLG | BD | [contentSize u64] | [dictId u32] | HC |
 *                block* | endMark u32 = 0 | [contentChecksum u32]
 *   FLG:         bits 7-6 version (01), 5 block independence, 4 block checksum, 3 content size,
 *                2 content checksum, 0 dictionary id
 *   BD:          bits 6-4 block maximum size: 4 = 64 KiB, 5 = 256 KiB, 6 = 1 MiB, 7 = 4 MiB
 *   block:       size u32 (high bit set = stored uncompressed) | data | [blockChecksum u32]
 *   skippable:   magic 5x 2A 4D 18 | size u32 | data (ignored)
 *
 * The framing bounds the decompressed size before anything is decompressed: an uncompressed block
 * yields its size, a compressed one at most its frame's block maximum and at most 255 bytes per
 * compressed byte (LZ4's largest ratio: a length byte of 255 adds 255 bytes). When that bound fits
 * the limit, the native decoder runs. When it does not (a bomb, or a small highly compressible
 * frame against a tight limit), lz4-block.ts decodes in JavaScript into a buffer that refuses to
 * grow past the limit: exact, and a bomb costs at most the limit. Checksums are not verified:
 * the batch's CRC-32C covers every byte.
 */
import { BoundedOutput } from './bounded-output.js';
import { corruptBlock, rethrowAsCorrupt, tooLarge } from './codec-errors.js';
import { FrameReader } from './frame-reader.js';
import { decodeLz4Block } from './lz4-block.js';
import { nativeLoader } from './native-package.js';

type Lz4Package = typeof import('lz4-napi');
const lz4 = nativeLoader<Lz4Package>('lz4', 'lz4-napi');

const CODEC = 'lz4';
const FRAME_MAGIC = 0x184d2204;
const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION_01 = 0x40;
const FLG_BLOCK_INDEPENDENCE = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_DICTIONARY_ID = 0x01;
const BLOCK_UNCOMPRESSED = 0x80000000;
const BLOCK_SIZE_MASK = 0x7fffffff;
const BYTES_PER_COMPRESSED_BYTE_MAX = 255;
const blockMaxBytesById = new Map([
  [4, 64 * 1024],
  [5, 256 * 1024],
  [6, 1024 * 1024],
  [7, 4 * 1024 * 1024],
]);

interface Block {
  start: number;
  end: number;
  uncompressed: boolean;
}

interface Frame {
  independent: boolean;
  /** The content size the frame declares; -1 when it declares none. */
  declared: number;
  /** The most its blocks can yield. */
  bound: number;
  blocks: Block[];
}

/** Reads one frame after its magic: its descriptor and where each block lies. */
function readFrame(reader: FrameReader): Frame {
  const flags = reader.u8('the frame descriptor');
  if ((flags & FLG_VERSION_MASK) !== FLG_VERSION_01) corruptBlock(CODEC, `frame version bits ${(flags >> 6) & 3} are not 01`);
  const blockMaxId = (reader.u8('the frame descriptor') >> 4) & 0x07;
  const blockMaxBytes = blockMaxBytesById.get(blockMaxId) ?? corruptBlock(CODEC, `block maximum size id ${blockMaxId} is not 4..7`);
  let declared = -1;
  if (flags & FLG_CONTENT_SIZE) declared = reader.uint(8, 'the content size');
  if (flags & FLG_DICTIONARY_ID) corruptBlock(CODEC, 'frames with a dictionary id are not used by Kafka and not accepted');
  reader.skip(1, 'the header checksum');
  const checksumBytes = flags & FLG_BLOCK_CHECKSUM ? 4 : 0;
  const frame: Frame = { independent: (flags & FLG_BLOCK_INDEPENDENCE) !== 0, declared, bound: 0, blocks: [] };
  for (;;) {
    const word = reader.u32('a block size');
    if (word === 0) break;
    const size = word & BLOCK_SIZE_MASK;
    const uncompressed = (word & BLOCK_UNCOMPRESSED) !== 0;
    if (size > blockMaxBytes) corruptBlock(CODEC, `block of ${size} bytes exceeds the frame's block maximum ${blockMaxBytes}`);
    const start = reader.position;
    reader.skip(size + checksumBytes, 'a block');
    frame.blocks.push({ start, end: start + size, uncompressed });
    frame.bound += uncompressed ? size : Math.min(blockMaxBytes, size * BYTES_PER_COMPRESSED_BYTE_MAX);
  }
  if (flags & FLG_CONTENT_CHECKSUM) reader.skip(4, 'the content checksum');
  return frame;
}

/** The frames in `data`; `frames.skippable` counts the skippable frames left out. */
function readFrames(data: Buffer): Frame[] & { skippable: number } {
  const reader = new FrameReader(CODEC, data);
  const frames = Object.assign([] as Frame[], { skippable: 0 });
  while (!reader.atEnd) {
    const magic = reader.u32('a frame magic');
    if (reader.skippedFrame(magic)) {
      frames.skippable++;
      continue;
    }
    if (magic !== FRAME_MAGIC) corruptBlock(CODEC, `frame magic ${magic.toString(16)} is not ${FRAME_MAGIC.toString(16)}`);
    frames.push(readFrame(reader));
  }
  if (frames.length === 0) corruptBlock(CODEC, 'no LZ4 frame in the block');
  return frames;
}

/** The most the frames in `data` can decompress to, from their framing alone. */
export function lz4DecompressedBound(data: Buffer): number {
  return readFrames(data).reduce((sum, frame) => sum + (frame.declared >= 0 ? Math.min(frame.declared, frame.bound) : frame.bound), 0);
}

/** The exact, bounded path: decodes block by block into a buffer that never passes maxBytes. */
function decodeBounded(data: Buffer, frames: Frame[], maxBytes: number): Buffer {
  const output = new BoundedOutput(CODEC, maxBytes, data.length * 4);
  for (const frame of frames) {
    const frameStart = output.length;
    for (const block of frame.blocks) {
      if (block.uncompressed) output.append(data, block.start, block.end);
      else decodeLz4Block(data, block.start, block.end, output, frame.independent ? output.length : frameStart);
    }
    const produced = output.length - frameStart;
    if (frame.declared >= 0 && produced !== frame.declared) corruptBlock(CODEC, `frame declares ${frame.declared} bytes and holds ${produced}`);
  }
  return output.result();
}

export function decompressLz4(data: Buffer, maxBytes: number): Buffer {
  const frames = readFrames(data);
  const declared = frames.every((frame) => frame.declared >= 0) ? frames.reduce((sum, frame) => sum + frame.declared, 0) : -1;
  if (declared > maxBytes) tooLarge(CODEC, declared, maxBytes);
  const bound = frames.reduce((sum, frame) => sum + frame.bound, 0);
  // The native decoder reads one frame and no skippable frame; the rest goes the exact way too.
  if (bound > maxBytes || frames.length !== 1 || frames.skippable > 0) return decodeBounded(data, frames, maxBytes);
  let plain: Buffer;
  try {
    plain = lz4().decompressFrameSync(data);
  } catch (error) {
    return rethrowAsCorrupt(CODEC, error);
  }
  // The framing bounds the output; this guards the bound itself.
  if (plain.length > bound) corruptBlock(CODEC, `decompressed to ${plain.length} bytes, more than its framing allows (${bound})`);
  if (declared >= 0 && plain.length !== declared) corruptBlock(CODEC, `frame declares ${declared} bytes and holds ${plain.length}`);
  return plain;
}

export function compressLz4(data: Buffer): Buffer {
  return lz4().compressFrameSync(data);
}
