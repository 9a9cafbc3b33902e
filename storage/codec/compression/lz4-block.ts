/**
 * LZ4 block decoding in JavaScript, into a BoundedOutput: the exact, bounded fallback of lz4.ts for
 * frames whose framing alone cannot prove they fit the limit. A block is a run of sequences:
 *
 *   token u8 (high nibble literal length, low nibble match length - 4; 15 = more length bytes follow,
 *   each added, until one below 255) | literal length bytes* | literals | offset u16 LE | match bytes*
 *
 * The last sequence has literals only. A match copies `length` bytes from `offset` bytes back, and
 * may overlap what it writes (offset < length repeats a pattern).
 */
import { BoundedOutput } from './bounded-output.js';
import { corruptBlock } from './codec-errors.js';

const CODEC = 'lz4';
const MATCH_LENGTH_MIN = 4;

function readLength(source: Buffer, position: number, end: number, initial: number): { length: number; position: number } {
  let length = initial;
  if (initial !== 15) return { length, position };
  for (;;) {
    if (position >= end) corruptBlock(CODEC, 'a sequence length runs past the block');
    const byte = source[position++]!;
    length += byte;
    if (byte !== 255) return { length, position };
  }
}

/**
 * Decodes the block at source[start..end) onto the output. `historyStart` is how far back matches
 * may reach: the block's own start for independent blocks, the frame's start for linked ones.
 */
export function decodeLz4Block(source: Buffer, start: number, end: number, output: BoundedOutput, historyStart: number): void {
  let position = start;
  for (;;) {
    if (position >= end) corruptBlock(CODEC, 'a block ends without its last literals');
    const token = source[position++]!;
    const literals = readLength(source, position, end, token >> 4);
    position = literals.position;
    if (literals.length > end - position) corruptBlock(CODEC, `${literals.length} literals run past the block`);
    output.append(source, position, position + literals.length);
    position += literals.length;
    if (position === end) return;
    if (end - position < 2) corruptBlock(CODEC, 'a match offset is truncated');
    const offset = source.readUInt16LE(position);
    position += 2;
    if (offset === 0 || offset > output.length - historyStart) corruptBlock(CODEC, `match offset ${offset} reaches before the data`);
    const match = readLength(source, position, end, token & 0x0f);
    position = match.position;
    output.copyMatch(offset, match.length + MATCH_LENGTH_MIN);
  }
}
