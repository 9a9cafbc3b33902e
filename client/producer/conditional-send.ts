/**
 * A conditional send (optimistic concurrency over partitions, docs/http-api.md "expectedOffsets"):
 * the records go in one produce request of their own, written only if every partition named in
 * `expectedOffsets` ends at that offset, else 409 SPOOL_ERR_OFFSET_MISMATCH (the error names the
 * actual end) and nothing is written. Raw batches name one partition, so the request is the
 * msgpack body, which carries keys, values and headers as bytes and checks every partition before
 * writing any. It is not retried: after a lost answer a retry would find the partition moved.
 */
import { partitionForKey } from '../../storage/codec/index.js';
import type { Codec } from '../codecs.js';
import { pack } from 'msgpackr';
import { SpoolClientError } from '../errors.js';
import { type HttpClient, urlPath } from '../http.js';
import { encodeRecord, type ProducerRecord } from '../record-encoding.js';
import type { TopicMetadata } from '../topic-metadata.js';
import type { RecordMetadata } from '../types.js';

/** partition → the offset the partition must end at (its high watermark) before the write. */
export type ExpectedOffsets = Record<number, number>;

const MSGPACK_CONTENT_TYPE = 'application/x-msgpack';

export async function sendConditional<T>(
  http: HttpClient,
  metadata: TopicMetadata,
  codec: Codec<T>,
  topic: string,
  records: ProducerRecord<T>[],
  expectedOffsets: ExpectedOffsets,
): Promise<RecordMetadata[]> {
  for (const [partition, offset] of Object.entries(expectedOffsets)) {
    if (!/^[0-9]{1,9}$/.test(partition) || !Number.isSafeInteger(offset) || offset < 0) {
      throw SpoolClientError.local('SPOOL_ERR_INVALID_ARGUMENT', `expectedOffsets[${partition}] = ${String(offset)}: a partition number and an offset from 0 to 2^53-1`);
    }
  }
  const partitions = await metadata.partitionCount(topic);
  const body = {
    records: records.map((record) => {
      const { input } = encodeRecord(record, codec);
      const partition = record.partition ?? (input.key ? partitionForKey(input.key, partitions) : undefined);
      return {
        key: input.key ?? null,
        value: input.value,
        ...(input.headers ? { headers: Object.fromEntries(input.headers.map((header) => [header.key, header.value])) } : {}),
        ...(partition !== undefined ? { partition } : {}),
        ...(input.timestamp !== undefined ? { timestamp: input.timestamp } : {}),
      };
    }),
    expectedOffsets: Object.fromEntries(Object.entries(expectedOffsets).map(([partition, offset]) => [partition, offset])),
  };
  const answer = await http.json<{ records: Array<{ partition: number; offset: number }> }>(
    { method: 'POST', path: `/v1/topics/${urlPath(topic)}/records`, body: pack(body), contentType: MSGPACK_CONTENT_TYPE },
    `send to ${topic} with expectedOffsets`,
  );
  return answer.records.map(({ partition, offset }) => ({ topic, partition, offset }));
}
