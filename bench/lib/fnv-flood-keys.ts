/**
 * Keys an attacker can craft against an unkeyed hash: `order-<i>` plus two bytes chosen so that the
 * key's FNV-1a agrees with every other's in its low `bits` bits, so all of them land in one slot of
 * any table up to 2^bits slots. The active-keys test and bench:active-keys-hash flood a table with
 * them to show why the table hashes with SipHash under a secret key instead.
 */
import { fnv1a } from '../../storage/streams/key-file.js';

const FNV_PRIME = 0x01000193;

export function keysCollidingUnderFnv1a(count: number, bits: number): Buffer[] {
  const mask = 2 ** bits - 1;
  const keys: Buffer[] = [];
  for (let i = 0; keys.length < count; i++) {
    const key = Buffer.from(`order-${i}..`);
    const prefix = fnv1a(key, 0, key.length - 2);
    search: for (let first = 0; first < 256; first++) {
      const afterFirst = Math.imul(prefix ^ first, FNV_PRIME);
      for (let second = 0; second < 256; second++) {
        if (((Math.imul(afterFirst ^ second, FNV_PRIME) >>> 0) & mask) !== 0) continue;
        key[key.length - 2] = first;
        key[key.length - 1] = second;
        keys.push(key);
        break search;
      }
    }
  }
  return keys;
}
