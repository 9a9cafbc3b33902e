/**
 * SipHash-2-4 (Aumasson & Bernstein, https://www.aumasson.jp/siphash/siphash.pdf): a keyed hash
 * for hash tables fed by untrusted keys. With a secret random key, nobody can compute keys that
 * collide (unlike FNV-1a or any unkeyed hash, where colliding keys are found offline and flood
 * one slot). The 64-bit state is kept in 32-bit halves in local variables: no allocation per key.
 * test/storage/streams/siphash.test.ts checks the reference vectors.
 */
import { randomBytes } from 'node:crypto';

/** A 128-bit key as four little-endian u32 words (k0 low, k0 high, k1 low, k1 high). */
export type SipKey = readonly [number, number, number, number];

/** The last result's two halves (sipHash24Hex reads them). */
let resultHigh = 0;
let resultLow = 0;

function wordAt(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

/**
 * SipHash-2-4 of `bytes[start, end)` folded to 32 bits (its halves XORed), the halves kept in
 * resultHigh/resultLow. One function with local variables and the rounds inline: V8 keeps the
 * state in registers (module variables and a separate round function measured ~7x slower).
 */
function run(key: SipKey, bytes: Uint8Array, start: number, end: number): number {
  let v0h = (key[1] ^ 0x736f6d65) >>> 0, v0l = (key[0] ^ 0x70736575) >>> 0;
  let v1h = (key[3] ^ 0x646f7261) >>> 0, v1l = (key[2] ^ 0x6e646f6d) >>> 0;
  let v2h = (key[1] ^ 0x6c796765) >>> 0, v2l = (key[0] ^ 0x6e657261) >>> 0;
  let v3h = (key[3] ^ 0x74656462) >>> 0, v3l = (key[2] ^ 0x79746573) >>> 0;
  let at = start;
  let mh = 0, ml = 0, rounds = 0, low = 0, high = 0;
  // Blocks of 8 bytes; then the last block: the 0-7 bytes left and the length (mod 256) in its top
  // byte; then the finalization. Each block: v3 ^= m, 2 rounds, v0 ^= m; the end: v2 ^= 0xff, 4 rounds.
  for (let phase = 0; phase < 3; ) {
    if (phase === 0 && at + 8 <= end) {
      ml = wordAt(bytes, at);
      mh = wordAt(bytes, at + 4);
      at += 8;
      rounds = 2;
    } else if (phase <= 1) {
      phase = 2;
      ml = 0;
      mh = ((end - start) & 0xff) << 24;
      for (let i = 0; at + i < end; i++) {
        if (i < 4) ml |= bytes[at + i]! << (8 * i);
        else mh |= bytes[at + i]! << (8 * (i - 4));
      }
      ml >>>= 0;
      mh >>>= 0;
      rounds = 2;
    } else {
      phase = 3;
      v2l = (v2l ^ 0xff) >>> 0;
      mh = 0;
      ml = 0;
      rounds = 4;
    }
    // Every word stays unsigned: the carry tests compare them.
    v3h = (v3h ^ mh) >>> 0; v3l = (v3l ^ ml) >>> 0;
    for (let round = 0; round < rounds; round++) {
      // v0 += v1; v1 = rotl(v1, 13) ^ v0; v0 = rotl(v0, 32)
      low = (v0l + v1l) >>> 0; v0h = (v0h + v1h + (low < v0l ? 1 : 0)) >>> 0; v0l = low;
      high = (((v1h << 13) | (v1l >>> 19)) ^ v0h) >>> 0; v1l = (((v1l << 13) | (v1h >>> 19)) ^ v0l) >>> 0; v1h = high;
      high = v0h; v0h = v0l; v0l = high;
      // v2 += v3; v3 = rotl(v3, 16) ^ v2
      low = (v2l + v3l) >>> 0; v2h = (v2h + v3h + (low < v2l ? 1 : 0)) >>> 0; v2l = low;
      high = (((v3h << 16) | (v3l >>> 16)) ^ v2h) >>> 0; v3l = (((v3l << 16) | (v3h >>> 16)) ^ v2l) >>> 0; v3h = high;
      // v0 += v3; v3 = rotl(v3, 21) ^ v0
      low = (v0l + v3l) >>> 0; v0h = (v0h + v3h + (low < v0l ? 1 : 0)) >>> 0; v0l = low;
      high = (((v3h << 21) | (v3l >>> 11)) ^ v0h) >>> 0; v3l = (((v3l << 21) | (v3h >>> 11)) ^ v0l) >>> 0; v3h = high;
      // v2 += v1; v1 = rotl(v1, 17) ^ v2; v2 = rotl(v2, 32)
      low = (v2l + v1l) >>> 0; v2h = (v2h + v1h + (low < v2l ? 1 : 0)) >>> 0; v2l = low;
      high = (((v1h << 17) | (v1l >>> 15)) ^ v2h) >>> 0; v1l = (((v1l << 17) | (v1h >>> 15)) ^ v2l) >>> 0; v1h = high;
      high = v2h; v2h = v2l; v2l = high;
    }
    v0h = (v0h ^ mh) >>> 0; v0l = (v0l ^ ml) >>> 0;
  }
  resultHigh = (v0h ^ v1h ^ v2h ^ v3h) >>> 0;
  resultLow = (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
  return (resultHigh ^ resultLow) >>> 0;
}

/** The 64-bit SipHash-2-4 of `bytes[start, end)` folded to 32 bits (its two halves XORed): a table slot's hash. */
export function sipHash24Word(key: SipKey, bytes: Uint8Array, start: number, end: number): number {
  return run(key, bytes, start, end);
}

/** The 64-bit SipHash-2-4 as 16 hex digits, the number (not its bytes) as the reference vectors print it. */
export function sipHash24Hex(key: SipKey, bytes: Uint8Array): string {
  run(key, bytes, 0, bytes.length);
  const hex = (word: number): string => word.toString(16).padStart(8, '0');
  return hex(resultHigh) + hex(resultLow);
}

/** A fresh random key (from the OS's CSPRNG). */
export function randomSipKey(): SipKey {
  const bytes = randomBytes(16);
  return [bytes.readUInt32LE(0), bytes.readUInt32LE(4), bytes.readUInt32LE(8), bytes.readUInt32LE(12)];
}
