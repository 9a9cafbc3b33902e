/**
 * Snappy raw-block decoding in JavaScript, onto a BoundedOutput: what snappy.ts uses for the small
 * chunks of a xerial stream, where a call into the native package per chunk (microseconds each)
 * would let one request of a million tiny chunks hold the event loop for seconds. Elements:
 *
 *   tag & 3 = 0  literal: length - 1 in tag >> 2, or when that is 60..63, in the next 1..4 bytes (LE)
 *   tag & 3 = 1  copy: length 4 + ((tag >> 2) & 7), offset ((tag >> 5) << 8) | next byte
 *   tag & 3 = 2  copy: length (tag >> 2) + 1, offset u16 LE
 *   tag & 3 = 3  copy: length (tag >> 2) + 1, offset u32 LE
 *
 * A copy may not reach before the block's start. The block's preamble (its decompressed length)
 * was read by the caller, which checks the block produced exactly that.
 */
import type { BoundedOutput } from './bounded-output.js';
import { corruptBlock } from './codec-errors.js';

const CODEC = 'snappy';

function readLittleEndian(source: Buffer, position: number, bytes: number, end: number): number {
  if (end - position < bytes) corruptBlock(CODEC, 'an element runs past the block');
  let value = 0;
  for (let i = bytes - 1; i >= 0; i--) value = value * 256 + source[position + i]!;
  return value;
}

/** Decodes the elements in source[start..end) onto the output; matches reach back to `blockStart`. */
export function decodeSnappyElements(source: Buffer, start: number, end: number, output: BoundedOutput): void {
  const blockStart = output.length;
  let position = start;
  while (position < end) {
    const tag = source[position++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let length = (tag >> 2) + 1;
      if (length > 60) {
        const bytes = length - 60;
        length = readLittleEndian(source, position, bytes, end) + 1;
        position += bytes;
      }
      if (end - position < length) corruptBlock(CODEC, `a literal of ${length} bytes runs past the block`);
      output.append(source, position, position + length);
      position += length;
      continue;
    }
    let length: number;
    let offset: number;
    if (kind === 1) {
      length = 4 + ((tag >> 2) & 7);
      offset = ((tag >> 5) << 8) | readLittleEndian(source, position, 1, end);
      position += 1;
    } else {
      const bytes = kind === 2 ? 2 : 4;
      length = (tag >> 2) + 1;
      offset = readLittleEndian(source, position, bytes, end);
      position += bytes;
    }
    if (offset === 0 || offset > output.length - blockStart) corruptBlock(CODEC, `copy offset ${offset} reaches before the block`);
    output.copyMatch(offset, length);
  }
}
