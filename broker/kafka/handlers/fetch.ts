/**
 * Fetch (1): reads each partition from its offset through the FetchService the HTTP route uses,
 * and answers the segment bytes as stored (no re-encoding; the first batch may start before the
 * offset asked for, as in Kafka, and clients skip what they did not ask for).
 *
 * - max_bytes (at most fetchBytesMax, Kafka's broker-side fetch.max.bytes) bounds the answer and
 *   partition_max_bytes each partition, except that the first partition with data always gets its
 *   first whole batch (KIP-74), so a large batch cannot stall a consumer.
 * - Until min_bytes are there, the fetch long-polls up to max_wait_ms on the same waiters as an
 *   HTTP long-poll, and reads again as soon as an append moves any partition's high watermark.
 *   Past longPollsMax it answers what there is at once; past the principal's
 *   quotaLongPollsPerPrincipal too, with throttle_time_ms for the rest of its max_wait_ms.
 * - Fetch sessions are answered sessionless (session id 0): every fetch is a full one.
 * - No transactions: the last stable offset is the high watermark.
 * - v13+ name topics by id.
 * - A topic the principal may not Read answers TOPIC_AUTHORIZATION_FAILED for each partition.
 * - The bytes answered count against the principal's fetch quota (throttle_time_ms, and the answer
 *   delayed by it).
 */
import { THROTTLE_MS_MAX } from '../../security/quotas.js';
import { ANONYMOUS } from '../../security/request-principal.js';
import type { Refusals } from '../authorization.js';
import type { KafkaApi, KafkaServices } from '../context.js';
import { KafkaErrorCode, kafkaErrorOf } from '../error-codes.js';
import type { Message } from '../protocol/codec.js';
import type { PartitionLog } from '../../../storage/index.js';
import { BrokerError } from '../../errors.js';

const EMPTY = Buffer.alloc(0);

/** A partition asked for, with its topic's name (null: an unknown topic id). */
interface Target {
  topic: string | null;
  partition: Message;
}

interface Round {
  responses: Message[];
  bytes: number;
  /** Partitions read without error, to long-poll on. */
  waitable: Array<{ log: PartitionLog; offset: number }>;
}

/** A partition's answer without records: an error, or no room left in the answer. */
function withoutRecords(partitionIndex: number, errorCode: number, log?: PartitionLog): Message {
  const highWatermark = log?.highWatermark ?? -1;
  return { partitionIndex, errorCode, highWatermark, lastStableOffset: highWatermark, logStartOffset: log?.logStartOffset ?? -1, abortedTransactions: null, preferredReadReplica: -1, records: EMPTY };
}

async function readPartition(target: Target, budgetBytes: number, firstData: boolean, round: Round, services: KafkaServices): Promise<Message> {
  const partitionIndex = target.partition.partition as number;
  if (target.topic === null) return withoutRecords(partitionIndex, KafkaErrorCode.UNKNOWN_TOPIC_ID);
  let log: PartitionLog | undefined;
  try {
    log = services.topics.partition(target.topic, partitionIndex);
    const offset = target.partition.fetchOffset as number;
    // The answer is full: the partition's positions only (KIP-74 lets the first partition with data exceed it).
    if (budgetBytes <= 0) return withoutRecords(partitionIndex, KafkaErrorCode.NONE, log);
    const maxBytes = Math.max(1, Math.min(target.partition.partitionMaxBytes as number, budgetBytes));
    const result = await services.fetcher.fetch({ topic: target.topic, partition: partitionIndex, offset, maxBytes, maxWaitMs: 0 });
    const records = result.data.length > budgetBytes && !firstData ? EMPTY : result.data;
    round.bytes += records.length;
    round.waitable.push({ log, offset: result.nextOffset });
    return { partitionIndex, errorCode: KafkaErrorCode.NONE, highWatermark: result.highWatermark, lastStableOffset: result.highWatermark, logStartOffset: result.logStartOffset, abortedTransactions: null, preferredReadReplica: -1, records };
  } catch (error) {
    return withoutRecords(partitionIndex, kafkaErrorOf(error).errorCode, log);
  }
}

async function readAll(topics: Message[], byId: boolean, maxBytes: number, refused: Refusals, services: KafkaServices): Promise<Round> {
  const round: Round = { responses: [], bytes: 0, waitable: [] };
  for (const topic of topics) {
    const name = byId ? (services.cluster.topicName(topic.topicId as string) ?? null) : (topic.topic as string);
    const partitions: Message[] = [];
    const refusal = refused.topic(name);
    for (const partition of topic.partitions as Message[]) {
      if (refusal !== null) partitions.push(withoutRecords(partition.partition as number, refusal));
      else partitions.push(await readPartition({ topic: name, partition }, maxBytes - round.bytes, round.bytes === 0, round, services));
    }
    round.responses.push({ topic: topic.topic, topicId: topic.topicId, partitions });
  }
  return round;
}

export const fetch: KafkaApi = {
  name: 'Fetch',
  answersRefusals: true,
  async handle(body, request, services) {
    // Kafka's broker caps a fetch at its own fetch.max.bytes whatever the client asks; Spool's is
    // fetchBytesMax, as over HTTP (kcat asks for 50 MiB, a forged request for 2 GiB).
    const maxBytes = Math.max(1, Math.min(body.maxBytes as number, services.limits.fetchBytesMax));
    const minBytes = Math.max(1, body.minBytes as number);
    const deadline = Date.now() + Math.min(Math.max(0, body.maxWaitMs as number), services.limits.maxWaitMsMax);
    const byId = request.apiVersion >= 13;
    const principal = request.session.principal ?? ANONYMOUS;
    let round = await readAll(body.topics as Message[], byId, maxBytes, request.refused, services);
    // Data past a partition's answer means its limits cut it: waiting would find it there at once.
    const moreThere = (r: Round) => r.waitable.some(({ log, offset }) => log.highWatermark > offset);
    let waitRefusedMs = 0;
    while (round.bytes < minBytes && round.waitable.length > 0 && !moreThere(round) && Date.now() < deadline && !request.signal.aborted) {
      try {
        await services.fetcher.waitForData(round.waitable, deadline - Date.now(), request.signal, principal);
      } catch (error) {
        // Too many long-polls: answer what there is. Past the principal's own quota the answer is
        // throttled for the wait it asked for, so the client does not fetch again at once.
        if (isQuotaRefusal(error)) waitRefusedMs = Math.min(THROTTLE_MS_MAX, Math.max(0, deadline - Date.now()));
        break;
      }
      round = await readAll(body.topics as Message[], byId, maxBytes, request.refused, services);
    }
    const throttleTimeMs = Math.max(waitRefusedMs, services.security.quotas.record('fetch', principal, round.bytes));
    return { throttleTimeMs, errorCode: KafkaErrorCode.NONE, sessionId: 0, responses: round.responses };
  },
};

function isQuotaRefusal(error: unknown): boolean {
  return error instanceof BrokerError && error.code === 'SPOOL_ERR_QUOTA_EXCEEDED';
}
