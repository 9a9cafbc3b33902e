/**
 * Kafka's controller mutation quota (KIP-599) for CreateTopics, CreatePartitions and DeleteTopics:
 * the partitions a principal creates, adds or deletes per second (quotaControllerMutationsPerSec,
 * the `mutations` bucket of security/quotas.ts, shared with the HTTP routes).
 *
 *   version             a topic while the principal is in debt    after each topic done
 *   strict (see below)  THROTTLING_QUOTA_EXCEEDED (89), untouched  its partitions counted
 *   older               done all the same (the client would not    its partitions counted
 *                       know the code)
 *
 * Either way the answer's throttle_time_ms is the debt left, and the router sends the answer that
 * much later. Strict from the versions Kafka 2.7 added for it: CreateTopics v6, CreatePartitions
 * v3, DeleteTopics v5 ("may return a THROTTLING_QUOTA_EXCEEDED error", apache/kafka's message
 * definitions). Topics auto-created by Metadata are not throttled, as in Kafka.
 */
import { ANONYMOUS } from '../security/request-principal.js';
import type { KafkaRequest, KafkaServices } from './context.js';
import { KafkaErrorCode, type KafkaErrorAnswer } from './error-codes.js';

export const STRICT_FROM_VERSION = { CreateTopics: 6, CreatePartitions: 3, DeleteTopics: 5 } as const;

export class ControllerMutations {
  /** Who the request is from: the session's principal, or ANONYMOUS on an open broker. */
  readonly principal: string;
  private readonly strict: boolean;

  constructor(
    private readonly services: KafkaServices,
    request: KafkaRequest,
    api: keyof typeof STRICT_FROM_VERSION,
  ) {
    this.principal = request.session.principal ?? ANONYMOUS;
    this.strict = request.apiVersion >= STRICT_FROM_VERSION[api];
  }

  /** THROTTLING_QUOTA_EXCEEDED for a topic met while in debt (strict versions); null: go ahead. */
  refusal(): KafkaErrorAnswer | null {
    if (!this.strict) return null;
    const waitMs = this.services.security.quotas.throttleMs('mutations', this.principal);
    if (waitMs === 0) return null;
    return { errorCode: KafkaErrorCode.THROTTLING_QUOTA_EXCEEDED, errorMessage: `${this.principal} is over its quotaControllerMutationsPerSec: retry in ${waitMs} ms` };
  }

  /** Counts the partitions a topic change created, added or deleted. */
  record(partitions: number): void {
    this.services.security.quotas.record('mutations', this.principal, partitions);
  }

  /** The answer's throttle_time_ms: the debt left. */
  throttleTimeMs(): number {
    return this.services.security.quotas.throttleMs('mutations', this.principal);
  }
}
