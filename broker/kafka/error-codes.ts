/**
 * Spool's errors as Kafka error codes: the one table (documented in docs/kafka.md). A Spool code
 * absent from it answers UNKNOWN_SERVER_ERROR, and the broker log has the details.
 */
import { isSpoolError } from '../../storage/index.js';

/** Kafka's error codes used by the listener (org.apache.kafka.common.protocol.Errors). */
export const KafkaErrorCode = {
  UNKNOWN_SERVER_ERROR: -1,
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  MESSAGE_TOO_LARGE: 10,
  OFFSET_METADATA_TOO_LARGE: 12,
  COORDINATOR_NOT_AVAILABLE: 15,
  INVALID_TOPIC_EXCEPTION: 17,
  NOT_ENOUGH_REPLICAS: 19,
  INVALID_REQUIRED_ACKS: 21,
  TOPIC_AUTHORIZATION_FAILED: 29,
  GROUP_AUTHORIZATION_FAILED: 30,
  CLUSTER_AUTHORIZATION_FAILED: 31,
  UNSUPPORTED_SASL_MECHANISM: 33,
  ILLEGAL_SASL_STATE: 34,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_REPLICA_ASSIGNMENT: 39,
  INVALID_CONFIG: 40,
  INVALID_REQUEST: 42,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  POLICY_VIOLATION: 44,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  INVALID_PRODUCER_EPOCH: 47,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  KAFKA_STORAGE_ERROR: 56,
  SASL_AUTHENTICATION_FAILED: 58,
  UNKNOWN_PRODUCER_ID: 59,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  MEMBER_ID_REQUIRED: 79,
  GROUP_MAX_SIZE_REACHED: 81,
  FENCED_INSTANCE_ID: 82,
  GROUP_SUBSCRIBED_TO_TOPIC: 86,
  INVALID_RECORD: 87,
  THROTTLING_QUOTA_EXCEEDED: 89,
  UNKNOWN_TOPIC_ID: 100,
} as const;

export type KafkaErrorName = keyof typeof KafkaErrorCode;

/** Spool code -> Kafka error. */
export const kafkaErrorBySpoolCode: Readonly<Record<string, KafkaErrorName>> = Object.freeze({
  SPOOL_ERR_CORRUPT_BATCH: 'CORRUPT_MESSAGE',
  // Kafka's LogValidator answers INVALID_RECORD for the same produce rules (offset deltas, timestamps).
  SPOOL_ERR_INVALID_BATCH: 'INVALID_RECORD',
  // A keyed record outside its key's partition on a stream topic: a record this broker's rules refuse.
  SPOOL_ERR_STREAM_WRONG_PARTITION: 'INVALID_RECORD',
  // A record keyed by an erased stream's id: refused for good, so not a code clients retry.
  SPOOL_ERR_STREAM_ERASED: 'INVALID_RECORD',
  SPOOL_ERR_DECOMPRESSED_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  SPOOL_ERR_UNKNOWN_PRODUCER_ID: 'UNKNOWN_PRODUCER_ID',
  SPOOL_ERR_INVALID_PRODUCER_EPOCH: 'INVALID_PRODUCER_EPOCH',
  SPOOL_ERR_UNSUPPORTED_MAGIC: 'UNSUPPORTED_FOR_MESSAGE_FORMAT',
  SPOOL_ERR_UNSUPPORTED_COMPRESSION: 'UNSUPPORTED_COMPRESSION_TYPE',
  SPOOL_ERR_MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  SPOOL_ERR_PAYLOAD_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  SPOOL_ERR_OFFSET_OUT_OF_RANGE: 'OFFSET_OUT_OF_RANGE',
  SPOOL_ERR_OUT_OF_ORDER_SEQUENCE: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
  SPOOL_ERR_PRODUCER_FENCED: 'INVALID_PRODUCER_EPOCH',
  // Retriable: the client backs off and sends again, as it would after a timeout.
  SPOOL_ERR_BACKPRESSURE: 'REQUEST_TIMED_OUT',
  SPOOL_ERR_TOO_MANY_WAITERS: 'REQUEST_TIMED_OUT',
  SPOOL_ERR_TOO_MANY_SUBSCRIBERS: 'REQUEST_TIMED_OUT',
  // Retriable in every client, and what Kafka answers when it cannot make a write durable.
  SPOOL_ERR_DISK_FULL: 'NOT_ENOUGH_REPLICAS',
  SPOOL_ERR_IO: 'KAFKA_STORAGE_ERROR',
  // The partition went away under the request (shutdown, deletion): clients refresh metadata and retry.
  SPOOL_ERR_LOG_CLOSED: 'NOT_LEADER_OR_FOLLOWER',
  SPOOL_ERR_SHUTTING_DOWN: 'NOT_LEADER_OR_FOLLOWER',
  // A producer id issued to another principal (the one refusal a service makes; ACLs are checked before).
  SPOOL_ERR_FORBIDDEN: 'CLUSTER_AUTHORIZATION_FAILED',
  SPOOL_ERR_BAD_REQUEST: 'INVALID_REQUEST',
  // An ACL's principal that is not User:<name> (CreateAcls), as Kafka answers one it cannot parse.
  SPOOL_ERR_INVALID_PRINCIPAL: 'INVALID_REQUEST',
  SPOOL_ERR_OFFSET_MISMATCH: 'INVALID_REQUEST',
  SPOOL_ERR_INVALID_TOPIC_NAME: 'INVALID_TOPIC_EXCEPTION',
  SPOOL_ERR_INVALID_CONFIG: 'INVALID_CONFIG',
  SPOOL_ERR_TOPIC_NOT_FOUND: 'UNKNOWN_TOPIC_OR_PARTITION',
  SPOOL_ERR_PARTITION_NOT_FOUND: 'UNKNOWN_TOPIC_OR_PARTITION',
  SPOOL_ERR_TOPIC_EXISTS: 'TOPIC_ALREADY_EXISTS',
  // The broker's own caps (topicsMax, partitionsMax): Kafka's answer for a creation its policy refuses.
  SPOOL_ERR_TOO_MANY_TOPICS: 'POLICY_VIOLATION',
  SPOOL_ERR_TOO_MANY_PARTITIONS: 'POLICY_VIOLATION',
  // quotaPartitionsPerPrincipal (the one quota a topic service refuses with): the same kind of cap.
  SPOOL_ERR_QUOTA_EXCEEDED: 'POLICY_VIOLATION',
  // aclsMax (CreateAcls): the same kind of cap.
  SPOOL_ERR_TOO_MANY_PRINCIPALS: 'POLICY_VIOLATION',
  // Consumer groups: the shared registry's answers in the group protocol's terms.
  SPOOL_ERR_GROUP_PROTOCOL: 'INCONSISTENT_GROUP_PROTOCOL',
  SPOOL_ERR_GROUP_NOT_FOUND: 'GROUP_ID_NOT_FOUND',
  SPOOL_ERR_GROUP_NOT_EMPTY: 'NON_EMPTY_GROUP',
  // groupsMax and membersPerGroupMax: Kafka's answer for its own group.max.size.
  SPOOL_ERR_TOO_MANY_GROUPS: 'GROUP_MAX_SIZE_REACHED',
  SPOOL_ERR_TOO_MANY_MEMBERS: 'GROUP_MAX_SIZE_REACHED',
  SPOOL_ERR_INTERNAL: 'UNKNOWN_SERVER_ERROR',
});

export interface KafkaErrorAnswer {
  errorCode: number;
  errorMessage: string;
}

/** The Kafka error code and message for anything a service threw. */
export function kafkaErrorOf(error: unknown): KafkaErrorAnswer {
  if (isSpoolError(error)) {
    const name = kafkaErrorBySpoolCode[error.code] ?? 'UNKNOWN_SERVER_ERROR';
    return { errorCode: KafkaErrorCode[name], errorMessage: `${error.code}: ${error.message}` };
  }
  return { errorCode: KafkaErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: error instanceof Error ? error.message : String(error) };
}
