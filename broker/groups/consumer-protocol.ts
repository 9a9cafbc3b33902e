/**
 * The assignment bytes of Kafka's "consumer" protocol type (ConsumerProtocolAssignment), which the
 * group leader computes and the broker only relays. Spool decodes them to show a Kafka group's
 * partitions in GET /v1/groups/:group, `spool groups describe` and the lag metrics.
 *
 *   int16  version (0-3: the same layout)
 *   int32  topic count, then per topic:
 *            int16 name length | utf8 name | int32 partition count | int32 partition...
 *   int32  user data length (-1: null) | user data
 *
 * Anything else (another protocol type, truncated bytes) decodes to no partitions: the broker
 * never refuses an assignment it only relays.
 */
import type { TopicPartition } from './assignors.js';

/** More topics or partitions than bytes to hold them: a forged count. */
function countFits(count: number, bytesEach: number, at: number, buffer: Buffer): boolean {
  return count >= 0 && at + count * bytesEach <= buffer.length;
}

export function decodeConsumerAssignment(bytes: Buffer): TopicPartition[] {
  try {
    if (bytes.length < 6) return [];
    let at = 2; // version
    const topics = bytes.readInt32BE(at);
    at += 4;
    if (!countFits(topics, 6, at, bytes)) return [];
    const result: TopicPartition[] = [];
    for (let t = 0; t < topics; t++) {
      const nameBytes = bytes.readInt16BE(at);
      at += 2;
      if (nameBytes < 0 || at + nameBytes > bytes.length) return [];
      const topic = bytes.toString('utf8', at, at + nameBytes);
      at += nameBytes;
      const partitions = bytes.readInt32BE(at);
      at += 4;
      if (!countFits(partitions, 4, at, bytes)) return [];
      for (let p = 0; p < partitions; p++, at += 4) result.push({ topic, partition: bytes.readInt32BE(at) });
    }
    return result;
  } catch {
    return []; // a read past the end: not the consumer protocol
  }
}

/** Encodes an assignment (version 0, no user data): for tests and the raw-protocol bench. */
export function encodeConsumerAssignment(partitions: TopicPartition[]): Buffer {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
  const parts: Buffer[] = [Buffer.from([0, 0]), int32(byTopic.size)];
  for (const [topic, list] of byTopic) {
    const name = Buffer.from(topic, 'utf8');
    const length = Buffer.alloc(2);
    length.writeInt16BE(name.length);
    parts.push(length, name, int32(list.length), ...list.map(int32));
  }
  parts.push(int32(-1));
  return Buffer.concat(parts);
}

function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
}
