/**
 * The Kafka APIs served: one handler file each (handlers/), each version range taken from its
 * message definition. An API absent here is absent from ApiVersions, and a request for it closes
 * the connection, as Kafka does with an API key it does not know.
 */
import type { KafkaApi } from './context.js';
import { createAcls, deleteAcls, describeAcls } from './handlers/acls.js';
import { alterConfigs, incrementalAlterConfigs } from './handlers/alter-configs.js';
import { apiVersions } from './handlers/api-versions.js';
import { createPartitions } from './handlers/create-partitions.js';
import { createTopics } from './handlers/create-topics.js';
import { deleteRecords } from './handlers/delete-records.js';
import { deleteTopics } from './handlers/delete-topics.js';
import { describeCluster } from './handlers/describe-cluster.js';
import { deleteGroups } from './handlers/delete-groups.js';
import { describeConfigs } from './handlers/describe-configs.js';
import { describeGroups } from './handlers/describe-groups.js';
import { fetch } from './handlers/fetch.js';
import { findCoordinator } from './handlers/find-coordinator.js';
import { heartbeat } from './handlers/heartbeat.js';
import { initProducerId } from './handlers/init-producer-id.js';
import { joinGroup } from './handlers/join-group.js';
import { leaveGroup } from './handlers/leave-group.js';
import { listGroups } from './handlers/list-groups.js';
import { listOffsets } from './handlers/list-offsets.js';
import { metadata } from './handlers/metadata.js';
import { offsetCommit } from './handlers/offset-commit.js';
import { offsetDelete } from './handlers/offset-delete.js';
import { offsetFetch } from './handlers/offset-fetch.js';
import { produce } from './handlers/produce.js';
import { saslAuthenticate } from './handlers/sasl-authenticate.js';
import { saslHandshake } from './handlers/sasl-handshake.js';
import { syncGroup } from './handlers/sync-group.js';
import { messages } from './protocol/messages.js';

const handlers: KafkaApi[] = [
  produce,
  fetch,
  listOffsets,
  metadata,
  offsetCommit,
  offsetFetch,
  findCoordinator,
  joinGroup,
  heartbeat,
  leaveGroup,
  syncGroup,
  describeGroups,
  listGroups,
  apiVersions,
  createTopics,
  deleteTopics,
  deleteRecords,
  initProducerId,
  describeConfigs,
  alterConfigs,
  createPartitions,
  incrementalAlterConfigs,
  deleteGroups,
  offsetDelete,
  describeCluster,
  describeAcls,
  createAcls,
  deleteAcls,
  saslHandshake,
  saslAuthenticate,
];

export const API_VERSIONS_KEY = 18;
export const PRODUCE_KEY = 0;

export const apisByKey: ReadonlyMap<number, KafkaApi> = new Map(handlers.map((api) => [messages[api.name].request.spec.apiKey!, api]));

export interface ApiVersionRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

/** Every API served with its version range, as ApiVersions answers it. */
export const supportedApis: readonly ApiVersionRange[] = handlers
  .map((api) => {
    const { spec, versions } = messages[api.name].request;
    return { apiKey: spec.apiKey!, minVersion: versions.min, maxVersion: versions.max };
  })
  .sort((a, b) => a.apiKey - b.apiKey);
