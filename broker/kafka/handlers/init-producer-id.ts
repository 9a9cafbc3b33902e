/**
 * InitProducerId (22): a producer id for an idempotent producer, from the same store as
 * POST /v1/producers. A producer that names its id and current epoch (KIP-360, v3+) is
 * re-initialised with the epoch bumped, which fences its previous incarnation. Produce then checks
 * each batch's sequence with the storage engine's producer state, as for HTTP raw batches.
 *
 * Transactions are not supported: a transactional id is answered
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED, which clients report at once instead of retrying. An id is
 * bound to the principal that obtained it: re-initialising another's answers
 * CLUSTER_AUTHORIZATION_FAILED (Kafka's code for a producer id the principal may not use).
 */
import { ANONYMOUS } from '../../security/request-principal.js';
import type { KafkaApi } from '../context.js';
import { KafkaErrorCode, kafkaErrorOf } from '../error-codes.js';

export const initProducerId: KafkaApi = {
  name: 'InitProducerId',
  handle(body, request, services) {
    const refused = (errorCode: number) => ({ throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 });
    if (body.transactionalId !== null) return refused(KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    const producerId = body.producerId as number;
    try {
      const principal = request.session.principal ?? ANONYMOUS;
      const identity = producerId >= 0 ? services.producerIds.reinitialize(producerId, body.producerEpoch as number, request.clientId, principal) : services.producerIds.allocate(request.clientId, principal);
      return { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE, ...identity };
    } catch (error) {
      return refused(kafkaErrorOf(error).errorCode);
    }
  },
};
