/** What every Kafka API handler gets: the broker's services (the same the HTTP routes use). */
import type { FastifyBaseLogger } from 'fastify';
import type { FetchService } from '../fetch/fetch-service.js';
import type { ClassicGroupCoordinator } from '../groups/classic-coordinator.js';
import type { GroupService } from '../groups/group-service.js';
import type { BrokerLimits } from '../limits.js';
import type { ProducerIdStore } from '../metadata/producer-id-store.js';
import type { ProduceService } from '../produce/produce-service.js';
import type { Security } from '../security/security.js';
import type { TopicService } from '../topics/topic-service.js';
import type { Refusals } from './authorization.js';
import type { KafkaCluster } from './cluster.js';
import type { Message } from './protocol/codec.js';
import type { ApiName } from './protocol/messages.js';
import type { KafkaSession } from './session.js';

export interface KafkaServices {
  topics: TopicService;
  produce: ProduceService;
  fetcher: FetchService;
  cluster: KafkaCluster;
  /** Consumer groups: the same service (offsets, listings, lag) as the HTTP routes. */
  groups: GroupService;
  /** Membership of Kafka classic groups (JoinGroup, SyncGroup, Heartbeat, LeaveGroup). */
  classicGroups: ClassicGroupCoordinator;
  /** Producer ids: the same store as POST /v1/producers. */
  producerIds: ProducerIdStore;
  /** Kafka's auto.create.topics.enable: Metadata for an unknown topic creates it. */
  autoCreateTopics: boolean;
  limits: BrokerLimits;
  /** The broker's default flush policy (a topic config's default). */
  brokerFlush: string;
  log: FastifyBaseLogger;
  /** Users, tokens, ACLs and the audit log, shared with the HTTP API. */
  security: Security;
}

export interface KafkaRequest {
  apiVersion: number;
  clientId: string | null;
  /** The client's address, as DescribeGroups shows it. */
  clientHost: string;
  /** Aborted when the connection closes (a long-polling fetch stops waiting). */
  signal: AbortSignal;
  /** The connection's client: address and, after SASL, principal. */
  session: KafkaSession;
  /** The resources of this request the principal may not use (authorization.ts). */
  refused: Refusals;
}

/** A handler answers the response body, or null when the request gets no answer (acks=0). */
export interface KafkaApi {
  name: ApiName;
  /**
   * The handler answers each refused resource itself (per topic, partition or group, as Kafka
   * does). Without it, a refusal is answered with the response's top-level error code.
   */
  answersRefusals?: boolean;
  handle(body: Message, request: KafkaRequest, services: KafkaServices): Promise<Message | null> | Message | null;
}
