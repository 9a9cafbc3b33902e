/**
 * Produce (0): each partition's record set is appended as it came (RecordBatch v2, validated by
 * the storage engine: size, magic, CRC, compression) through the same ProduceService as the HTTP
 * route. acks 1 and -1 are answered when the append is acknowledged, which the topic's flush
 * policy decides (after the fdatasync under flush=always); acks 0 gets no answer at all. Each
 * partition answers its own Kafka error code (TOPIC_AUTHORIZATION_FAILED for a topic the principal
 * may not Write, while the others are written).
 */
import { ANONYMOUS } from '../../security/request-principal.js';
import type { KafkaApi, KafkaServices } from '../context.js';
import { KafkaErrorCode, kafkaErrorOf } from '../error-codes.js';
import type { Message } from '../protocol/codec.js';

const ACKS = new Set([-1, 0, 1]);

function failed(index: number, errorCode: number, errorMessage: string): Message {
  return { index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [], errorMessage };
}

async function producePartition(topic: string, partition: Message, principal: string, services: KafkaServices): Promise<Message> {
  const index = partition.index as number;
  const records = partition.records as Buffer | null;
  if (records === null || records.length === 0) return failed(index, KafkaErrorCode.CORRUPT_MESSAGE, 'no records');
  try {
    const answer = await services.produce.produceBatches(topic, index, records, undefined, principal);
    const logStartOffset = services.topics.partition(topic, index).logStartOffset;
    return { index, errorCode: KafkaErrorCode.NONE, baseOffset: answer.baseOffset, logAppendTimeMs: -1, logStartOffset, recordErrors: [], errorMessage: null };
  } catch (error) {
    const { errorCode, errorMessage } = kafkaErrorOf(error);
    return failed(index, errorCode, errorMessage);
  }
}

export const produce: KafkaApi = {
  name: 'Produce',
  answersRefusals: true,
  async handle(body, request, services) {
    const acks = body.acks as number;
    const rejection = !ACKS.has(acks)
      ? { code: KafkaErrorCode.INVALID_REQUIRED_ACKS, message: `acks must be -1, 0 or 1, not ${acks}` }
      : body.transactionalId !== null
        ? { code: KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, message: 'transactions are not supported by Spool' }
        : null;
    const responses = await Promise.all(
      (body.topicData as Message[]).map(async (topic) => ({
        name: topic.name,
        partitionResponses: await Promise.all(
          (topic.partitionData as Message[]).map((partition) => {
            const refused = request.refused.topic(topic.name as string);
            if (refused !== null) return failed(partition.index as number, refused, `not authorized to Write topic ${topic.name}`);
            return rejection ? failed(partition.index as number, rejection.code, rejection.message) : producePartition(topic.name as string, partition, request.session.principal ?? ANONYMOUS, services);
          }),
        ),
      })),
    );
    // Kafka's produce quota counts the request's record bytes, once it has served them.
    const bytes = (body.topicData as Message[])
      .filter((topic) => request.refused.topic(topic.name as string) === null)
      .reduce((sum, topic) => sum + (topic.partitionData as Message[]).reduce((inner, partition) => inner + ((partition.records as Buffer | null)?.length ?? 0), 0), 0);
    const throttleTimeMs = services.security.quotas.record('produce', request.session.principal ?? ANONYMOUS, bytes);
    return acks === 0 ? null : { responses, throttleTimeMs };
  },
};
