/**
 * In-memory state of one consumer group (membership is soft state, as in Kafka: it is rebuilt by
 * members re-joining after a broker restart; committed offsets are durable, in SQLite).
 *
 * Two maps drive cooperative hand-over:
 *   target: partition → the member the assignor wants to own it
 *   owner:  partition → the member allowed to consume it now
 * A partition whose target differs from its owner is being revoked: it moves only once the owner
 * released it (heartbeat with `revoked`), left, or expired. So no two live members ever own the same
 * partition, in any sequence of joins, leaves and timeouts.
 */
import type { AssignorName, TopicPartition } from './assignors.js';

export interface Subscription {
  topics?: string[];
  pattern?: string;
}

export interface Member {
  memberId: string;
  instanceId: string | null;
  clientId: string | null;
  subscription: Subscription;
  sessionTimeoutMs: number;
  lastSeenMs: number;
  joinedAtMs: number;
  /**
   * Whether the member's principal may consume a topic (Read, by ACL), asked at every rebalance:
   * a topic it may not read is never assigned to it, however its subscription matches. Absent: any.
   */
  mayConsume?: (topic: string) => boolean;
}

export type GroupPhase = 'Empty' | 'Stable' | 'Rebalancing';

export interface GroupState {
  name: string;
  generation: number;
  assignor: AssignorName;
  members: Map<string, Member>;
  target: Map<string, string>;
  owner: Map<string, string>;
  /** Where a partition without a committed offset starts: set by the first member's join. */
  offsetReset: 'earliest' | 'latest';
  /** Bumped by an offset reset, so members re-read committed offsets at their next heartbeat. */
  resetEpoch: number;
}

export function newGroupState(name: string, assignor: AssignorName): GroupState {
  return {
    name,
    generation: 0,
    assignor,
    members: new Map(),
    target: new Map(),
    owner: new Map(),
    offsetReset: 'latest',
    resetEpoch: 0,
  };
}

export function phaseOf(group: GroupState): GroupPhase {
  if (group.members.size === 0) return 'Empty';
  for (const [key, targetMember] of group.target) if (group.owner.get(key) !== targetMember) return 'Rebalancing';
  for (const key of group.owner.keys()) if (!group.target.has(key)) return 'Rebalancing';
  return 'Stable';
}

export interface MemberView {
  generation: number;
  assignments: TopicPartition[];
  revoke: TopicPartition[];
  rebalancing: boolean;
  resetEpoch: number;
  /** Topics the member subscribed to by name that do not exist: a typo, or not created yet. */
  missingTopics: string[];
}
