/**
 * npm run bench:active-keys-hash: what the stream key table's keyed hash costs, beside the unkeyed
 * FNV-1a it replaced (the reference, same run), on ordinary stream ids (`order-00000001`..):
 *
 *   1. the hash alone, µs a key;
 *   2. the table's adds (new keys) and lookups (countFrom of present keys), keys a second;
 *   3. the flood: keys crafted offline to share FNV-1a's low bits, added and looked up (ms),
 *      and the longest probe. SipHash's seed is drawn at start, so no key list floods it.
 *
 * Flags: USAGE below (`--help` prints it).
 */
import { performance } from 'node:perf_hooks';
import { ActiveKeys, type KeyHasher } from '../storage/streams/active-keys.js';
import { keysCollidingUnderFnv1a } from './lib/fnv-flood-keys.js';
import { fnv1a } from '../storage/streams/key-file.js';
import { randomSipKey, sipHash24Word } from '../storage/streams/siphash.js';
import { exitOnHelp } from './lib/usage.js';

const USAGE = `Usage: npm run bench:active-keys-hash [-- options]
The stream key table's keyed hash (SipHash-2-4) beside the unkeyed FNV-1a it replaced: hash cost,
adds and lookups of ordinary keys, and a flood of keys crafted to collide under FNV-1a.

  --keys N      ordinary stream ids (order-00000001..) hashed, added and looked up (default 200000)
  --crafted N   keys crafted offline to share FNV-1a's low bits (default 10000)`;
exitOnHelp(USAGE);

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const KEYS = flag('--keys', 200_000);
const CRAFTED = flag('--crafted', 10_000);
const seed = randomSipKey();
const hashers: Record<string, KeyHasher | undefined> = { 'FNV-1a (before)': fnv1a, 'SipHash-2-4 (now)': undefined };
const ordinary = Array.from({ length: KEYS }, (_, i) => Buffer.from(`order-${i.toString().padStart(8, '0')}`));

function hashMicros(hash: KeyHasher): number {
  let sink = 0;
  const start = performance.now();
  for (let round = 0; round < 5; round++) for (const key of ordinary) sink ^= hash(key, 0, key.length);
  const micros = ((performance.now() - start) * 1000) / (5 * KEYS);
  return sink === 0.5 ? 0 : micros;
}

function tableRun(keys: Buffer[], hash: KeyHasher | undefined): { addMs: number; lookupMs: number; longestProbe: number } {
  const table = new ActiveKeys(hash ? { hash } : {});
  let start = performance.now();
  keys.forEach((key, offset) => table.add(key, offset));
  const addMs = performance.now() - start;
  start = performance.now();
  for (const key of keys) table.countFrom(key, 0);
  return { addMs, lookupMs: performance.now() - start, longestProbe: table.longestProbe };
}

const floodKeys = keysCollidingUnderFnv1a(CRAFTED, 16);
const siphash: KeyHasher = (bytes, start, end) => sipHash24Word(seed, bytes, start, end);
for (const [name, hash] of Object.entries(hashers)) {
  tableRun(ordinary, hash); // warm-up
  const run = tableRun(ordinary, hash);
  const flood = tableRun(floodKeys, hash);
  console.log(
    `${name.padEnd(18)} hash ${hashMicros(hash ?? siphash).toFixed(3)} µs/key | ${KEYS} ordinary keys: add ${Math.round(KEYS / (run.addMs / 1000)).toLocaleString('en')}/s, ` +
      `lookup ${Math.round(KEYS / (run.lookupMs / 1000)).toLocaleString('en')}/s, longest probe ${run.longestProbe} | ${CRAFTED} crafted keys: ` +
      `add ${flood.addMs.toFixed(0)} ms, lookup ${flood.lookupMs.toFixed(0)} ms, longest probe ${flood.longestProbe}`,
  );
}
