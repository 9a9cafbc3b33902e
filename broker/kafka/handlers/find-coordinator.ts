/**
 * FindCoordinator (10): this broker coordinates every group. v4+ ask for several keys at once.
 * Transaction coordinators (key type 1) are refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
 * Spool has no transactions yet, and clients stop with that error instead of retrying.
 */
import type { KafkaApi } from '../context.js';
import { KafkaErrorCode } from '../error-codes.js';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

export const findCoordinator: KafkaApi = {
  name: 'FindCoordinator',
  handle(body, request, services) {
    const [broker] = services.cluster.brokers();
    const keyType = body.keyType as number;
    const errorCode =
      keyType === KEY_TYPE_GROUP ? KafkaErrorCode.NONE : keyType === KEY_TYPE_TRANSACTION ? KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED : KafkaErrorCode.INVALID_REQUEST;
    const errorMessage = errorCode === KafkaErrorCode.NONE ? null : keyType === KEY_TYPE_TRANSACTION ? 'transactions are not supported by Spool' : `key type ${keyType} is not served`;
    const found = errorCode === KafkaErrorCode.NONE ? { nodeId: broker!.nodeId, host: broker!.host, port: broker!.port } : { nodeId: -1, host: '', port: -1 };
    if (request.apiVersion < 4) return { throttleTimeMs: 0, errorCode, errorMessage, ...found };
    return { throttleTimeMs: 0, coordinators: (body.coordinatorKeys as string[]).map((key) => ({ key, errorCode, errorMessage, ...found })) };
  },
};
