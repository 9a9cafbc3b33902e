/**
 * Kafka's default partitioner: known assignments, and agreement with kafkajs's own murmur2 over
 * random keys (so a key lands where every Kafka client would put it).
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from '../../../storage/codec/murmur2.js';

const require = createRequire(import.meta.url);
const kafkaMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: string | Buffer) => number;

describe('murmur2 partitioner', () => {
  // Vectors from the Java client's Utils.murmur2 tests (org.apache.kafka.common.utils.UtilsTest).
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('murmur2(%j) = %d', (key, hash) => {
    expect(murmur2(Buffer.from(key))).toBe(hash);
  });

  it('agrees with kafkajs on any key', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 1000 }), (bytes, partitions) => {
        const key = Buffer.from(bytes);
        expect(murmur2(key)).toBe(kafkaMurmur2(key));
        expect(partitionForKey(key, partitions)).toBe((kafkaMurmur2(key) & 0x7fffffff) % partitions);
      }),
      { numRuns: 1000 },
    );
  });
});
