/**
 * The group coordinator: membership, assignment and cooperative hand-over of partitions for every
 * consumer group. Pure logic over a clock and a view of the topics: no HTTP, no SQLite, so that a
 * property test can drive it through random joins, leaves, heartbeats and expiries.
 *
 * Protocol, per member:
 *   join      → memberId, generation, assignments (partitions it may consume now)
 *   heartbeat → generation, assignments, revoke (stop consuming these, commit, then report them
 *               in `revoked` on the next heartbeat), rebalancing
 *   leave     → its partitions are released at once
 * A member silent for sessionTimeoutMs is expired and its partitions released. A member that joins
 * with the instanceId of a live member takes over its identity and partitions (static membership:
 * no rebalance).
 */
import { randomUUID } from 'node:crypto';
import { BrokerError } from '../errors.js';
import { type BrokerLimits, brokerLimits } from '../limits.js';
import { assign, type AssignorName, parseTpKey, type TopicPartition, tpKey } from './assignors.js';
import { type GroupState, type Member, type MemberView, newGroupState, phaseOf, type Subscription } from './group-state.js';
import { compilePattern } from './topic-pattern.js';

export interface TopicView {
  /** Every topic with its partition count. */
  topics(): Array<{ name: string; partitions: number }>;
  /** Whether one topic exists (asked per join and heartbeat: cheaper than a snapshot). */
  exists(name: string): boolean;
}

export interface JoinRequest {
  subscription: Subscription;
  sessionTimeoutMs: number;
  instanceId?: string | null;
  clientId?: string | null;
  assignor?: AssignorName;
  offsetReset?: 'earliest' | 'latest';
  /** The joining principal's ACLs (Member.mayConsume). */
  mayConsume?: (topic: string) => boolean;
}

export interface JoinResult extends MemberView {
  memberId: string;
}

export type CoordinatorLimits = Pick<BrokerLimits, 'membersPerGroupMax'>;

/** Every topic with its partition count, read once per rebalance (or once for all groups). */
type TopicSnapshot = ReadonlyArray<{ name: string; partitions: number }>;

export class GroupCoordinator {
  private readonly groups = new Map<string, GroupState>();

  constructor(
    private readonly topicView: TopicView,
    private readonly now: () => number = Date.now,
    private readonly limits: CoordinatorLimits = brokerLimits,
  ) {}

  group(name: string): GroupState | undefined {
    return this.groups.get(name);
  }

  groupNames(): string[] {
    return [...this.groups.keys()];
  }

  join(groupName: string, request: JoinRequest): JoinResult {
    this.expire();
    let group = this.groups.get(groupName);
    if (!group) {
      group = newGroupState(groupName, request.assignor ?? 'sticky');
      this.groups.set(groupName, group);
    }
    if (group.members.size === 0) {
      if (request.assignor) group.assignor = request.assignor;
      if (request.offsetReset) group.offsetReset = request.offsetReset;
    }
    const now = this.now();
    const memberId = `${request.clientId ?? 'member'}-${randomUUID()}`;
    const member: Member = {
      memberId,
      instanceId: request.instanceId ?? null,
      clientId: request.clientId ?? null,
      subscription: request.subscription,
      sessionTimeoutMs: request.sessionTimeoutMs,
      lastSeenMs: now,
      joinedAtMs: now,
      ...(request.mayConsume ? { mayConsume: request.mayConsume } : {}),
    };
    const staticPredecessor = member.instanceId
      ? [...group.members.values()].find((candidate) => candidate.instanceId === member.instanceId)
      : undefined;
    if (!staticPredecessor && group.members.size >= this.limits.membersPerGroupMax) {
      const max = this.limits.membersPerGroupMax;
      throw new BrokerError('SPOOL_ERR_TOO_MANY_MEMBERS', `group ${groupName} has ${max} members already (membersPerGroupMax)`, { group: groupName, limit: 'membersPerGroupMax', max, retryAfterMs: 1000 });
    }
    // The new incarnation may be another principal: it inherits only partitions it may consume.
    const inherits = staticPredecessor !== undefined && sameSubscription(staticPredecessor.subscription, member.subscription) && this.mayConsumeAll(group, staticPredecessor.memberId, member);
    if (inherits) {
      // Static membership: the new incarnation inherits identity and partitions, no rebalance.
      group.members.delete(staticPredecessor.memberId);
      group.members.set(memberId, member);
      for (const map of [group.target, group.owner]) {
        for (const [key, owner] of map) if (owner === staticPredecessor.memberId) map.set(key, memberId);
      }
    } else {
      if (staticPredecessor) this.removeMember(group, staticPredecessor.memberId);
      group.members.set(memberId, member);
      this.rebalance(group);
    }
    return { memberId, ...this.view(group, memberId) };
  }

  heartbeat(groupName: string, memberId: string, revoked: TopicPartition[] = []): MemberView {
    this.expire();
    const group = this.requireMember(groupName, memberId);
    group.members.get(memberId)!.lastSeenMs = this.now();
    for (const tp of revoked) {
      const key = tpKey(tp);
      if (group.owner.get(key) === memberId && group.target.get(key) !== memberId) group.owner.delete(key);
    }
    return this.view(group, memberId);
  }

  leave(groupName: string, memberId: string): void {
    this.expire();
    const group = this.requireMember(groupName, memberId);
    this.removeMember(group, memberId);
  }

  /** Checks that a commit comes from a live member of the current generation owning the partitions. */
  validateCommit(groupName: string, memberId: string, generation: number, partitions: TopicPartition[], resetEpoch?: number): void {
    this.expire();
    const group = this.requireMember(groupName, memberId);
    if (resetEpoch !== undefined && resetEpoch !== group.resetEpoch) {
      // The member has not seen an admin reset yet: its commit would undo the reset.
      throw new BrokerError('SPOOL_ERR_FENCED', `reset epoch ${resetEpoch} is stale: offsets were reset (epoch ${group.resetEpoch}); re-read them`, {
        group: groupName,
        memberId,
        resetEpoch: group.resetEpoch,
      });
    }
    if (generation !== group.generation) {
      throw new BrokerError('SPOOL_ERR_FENCED', `generation ${generation} is stale; the group is at ${group.generation}`, {
        group: groupName,
        memberId,
        generation: group.generation,
      });
    }
    for (const tp of partitions) {
      if (group.owner.get(tpKey(tp)) !== memberId) {
        throw new BrokerError('SPOOL_ERR_FENCED', `member does not own ${tp.topic}/${tp.partition}`, {
          group: groupName,
          memberId,
          topic: tp.topic,
          partition: tp.partition,
        });
      }
    }
  }

  /** Topics were created or deleted: recompute every group's subscriptions. */
  topicsChanged(): void {
    const topics = this.topicView.topics();
    for (const group of this.groups.values()) if (group.members.size > 0) this.rebalance(group, topics);
  }

  /** Members are told at their next heartbeat to re-read committed offsets. */
  offsetsReset(groupName: string): void {
    const group = this.groups.get(groupName);
    if (group) group.resetEpoch++;
  }

  deleteGroup(groupName: string): void {
    const group = this.groups.get(groupName);
    if (group && group.members.size > 0) {
      throw new BrokerError('SPOOL_ERR_GROUP_NOT_EMPTY', `group ${groupName} still has ${group.members.size} members`, { group: groupName });
    }
    this.groups.delete(groupName);
  }

  /** Forgets every group, live members included (reset()): their next heartbeat finds them unknown, and they join again. */
  deleteAllGroups(): void {
    this.groups.clear();
  }

  /** Removes members whose session timed out. Called on every request and by the broker's timer. */
  expire(): void {
    const now = this.now();
    let topics: TopicSnapshot | null = null;
    for (const group of this.groups.values()) {
      const expired = [...group.members.values()].filter((member) => now - member.lastSeenMs > member.sessionTimeoutMs);
      if (expired.length === 0) continue;
      // All of a group's expired members go in one rebalance: one by one, 128 expiries cost 128.
      for (const member of expired) this.dropMember(group, member.memberId);
      this.rebalance(group, (topics ??= this.topicView.topics()));
    }
  }

  /** The partitions a subscription resolves to now. */
  partitionsOf(subscription: Subscription, topics: TopicSnapshot = this.topicView.topics()): TopicPartition[] {
    const matches = subscriptionMatcher(subscription);
    return topics
      .filter((topic) => matches(topic.name))
      .flatMap((topic) => Array.from({ length: topic.partitions }, (_, partition) => ({ topic: topic.name, partition })));
  }

  view(group: GroupState, memberId: string): MemberView {
    const assignments: TopicPartition[] = [];
    const revoke: TopicPartition[] = [];
    for (const [key, targetMember] of group.target) {
      if (targetMember === memberId && !group.owner.has(key)) group.owner.set(key, memberId); // grant released partitions
    }
    for (const [key, owner] of group.owner) {
      if (owner !== memberId) continue;
      assignments.push(parseTpKey(key));
      if (group.target.get(key) !== memberId) revoke.push(parseTpKey(key));
    }
    return {
      generation: group.generation,
      assignments,
      revoke,
      rebalancing: phaseOf(group) === 'Rebalancing',
      resetEpoch: group.resetEpoch,
      missingTopics: this.missingTopics(group.members.get(memberId)!.subscription),
    };
  }

  private mayConsumeAll(group: GroupState, ownerId: string, member: Member): boolean {
    if (!member.mayConsume) return true;
    for (const map of [group.target, group.owner]) {
      for (const [key, owner] of map) if (owner === ownerId && !member.mayConsume(parseTpKey(key).topic)) return false;
    }
    return true;
  }

  /** Named topics of a subscription that do not exist (a pattern names none: it matches what is there). */
  private missingTopics(subscription: Subscription): string[] {
    const named = subscription.topics ?? [];
    if (named.length === 0) return [];
    return named.filter((name) => !this.topicView.exists(name));
  }

  private requireMember(groupName: string, memberId: string): GroupState {
    const group = this.groups.get(groupName);
    if (!group || !group.members.has(memberId)) {
      throw new BrokerError('SPOOL_ERR_UNKNOWN_MEMBER', `member ${memberId} is not in group ${groupName} (expired or left): join again`, {
        group: groupName,
        memberId,
      });
    }
    return group;
  }

  private removeMember(group: GroupState, memberId: string): void {
    this.dropMember(group, memberId);
    this.rebalance(group);
  }

  private dropMember(group: GroupState, memberId: string): void {
    group.members.delete(memberId);
    for (const [key, owner] of [...group.owner]) if (owner === memberId) group.owner.delete(key);
  }

  /**
   * Recomputes the group's target assignment from one topic snapshot, one pass over the current
   * targets, and one resolution per distinct subscription: a per-member topic listing and target
   * scan made joins of one group quadratic (128 joins took 50 s).
   */
  private rebalance(group: GroupState, topics: TopicSnapshot = this.topicView.topics()): void {
    const currentOf = new Map<string, TopicPartition[]>();
    for (const [key, owner] of group.target) {
      let list = currentOf.get(owner);
      if (!list) currentOf.set(owner, (list = []));
      list.push(parseTpKey(key));
    }
    const all = new Map<string, TopicPartition>();
    const resolved = new Map<string, (topic: string) => boolean>();
    const members = [...group.members.values()].map((member) => {
      const key = subscriptionKey(member.subscription);
      let matches = resolved.get(key);
      if (!matches) {
        resolved.set(key, (matches = subscriptionMatcher(member.subscription)));
        for (const tp of this.partitionsOf(member.subscription, topics)) all.set(tpKey(tp), tp);
      }
      const eligible = matches;
      const allowed = member.mayConsume ?? (() => true);
      return { memberId: member.memberId, eligible: (tp: TopicPartition) => eligible(tp.topic) && allowed(tp.topic), current: currentOf.get(member.memberId) ?? [] };
    });
    const next = assign(group.assignor, members, [...all.values()]);
    // Partitions of deleted topics cannot be consumed any more: drop their owners too.
    for (const key of [...group.owner.keys()]) if (!all.has(key)) group.owner.delete(key);
    if (!sameAssignment(group.target, next)) group.generation++;
    group.target = next;
  }
}

function subscriptionMatcher(subscription: Subscription): (topic: string) => boolean {
  const topics = new Set(subscription.topics ?? []);
  const pattern = subscription.pattern ? compilePattern(subscription.pattern) : null;
  return (topic) => topics.has(topic) || (pattern !== null && pattern(topic));
}

function subscriptionKey(subscription: Subscription): string {
  return JSON.stringify([[...(subscription.topics ?? [])].sort(), subscription.pattern ?? null]);
}

function sameSubscription(a: Subscription, b: Subscription): boolean {
  return subscriptionKey(a) === subscriptionKey(b);
}

function sameAssignment(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}
