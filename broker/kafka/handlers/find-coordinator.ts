/**
 * FindCoordinator (10): this broker coordinates every group. v4+ ask for several keys at once.
 * Transaction coordinators (key type 1) are refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
 * Spool has no transactions yet, and clients stop with that error instead of retrying. A group the
 * principal may not Describe answers GROUP_AUTHORIZATION_FAILED (per key in v4+).
 */
import type { KafkaApi, KafkaRequest, KafkaServices } from '../context.js';
import type { Message } from '../protocol/codec.js';
import { KafkaErrorCode } from '../error-codes.js';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

function coordinatorFor(key: string, keyType: number, request: KafkaRequest, services: KafkaServices): Message {
  const [broker] = services.cluster.brokers();
  const refused = keyType === KEY_TYPE_GROUP ? request.refused.group(key) : null;
  const errorCode =
    refused ?? (keyType === KEY_TYPE_GROUP ? KafkaErrorCode.NONE : keyType === KEY_TYPE_TRANSACTION ? KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED : KafkaErrorCode.INVALID_REQUEST);
  const errorMessage =
    errorCode === KafkaErrorCode.NONE ? null : refused !== null ? `not authorized to Describe group ${key}` : keyType === KEY_TYPE_TRANSACTION ? 'transactions are not supported by Spool' : `key type ${keyType} is not served`;
  const found = errorCode === KafkaErrorCode.NONE ? { nodeId: broker!.nodeId, host: broker!.host, port: broker!.port } : { nodeId: -1, host: '', port: -1 };
  return { errorCode, errorMessage, ...found };
}

export const findCoordinator: KafkaApi = {
  name: 'FindCoordinator',
  answersRefusals: true,
  handle(body, request, services) {
    const keyType = body.keyType as number;
    if (request.apiVersion < 4) return { throttleTimeMs: 0, ...coordinatorFor(body.key as string, keyType, request, services) };
    return { throttleTimeMs: 0, coordinators: (body.coordinatorKeys as string[]).map((key) => ({ key, ...coordinatorFor(key, keyType, request, services) })) };
  },
};
