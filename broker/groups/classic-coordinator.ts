/**
 * The coordinator of Kafka classic groups (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), after
 * Kafka's GroupCoordinator: the states of classic-group.ts, the session timeout (a member that
 * sends nothing for it is removed), the rebalance timeout (a member that does not rejoin in time
 * is removed and the rebalance completes without it), KIP-394 (a join without a member id gets one
 * with MEMBER_ID_REQUIRED and must join again with it), KIP-345 static membership (a member with a
 * group.instance.id that comes back within its session timeout takes its old place without a
 * rebalance; its old incarnation is fenced with FENCED_INSTANCE_ID). The leader computes the
 * assignment client-side (eager or cooperative protocols alike); the broker relays it.
 *
 * Timers: one per group, armed at the group's earliest deadline (a session, a KIP-394 pending id,
 * the rebalance). A heartbeat only moves a deadline later, so it re-arms nothing: the timer fires,
 * finds the deadline moved and re-arms once. A member waiting for a join or sync answer is kept
 * alive (the rebalance timeout bounds the join; the leader's own session bounds the sync).
 *
 * Pure logic over a clock: no sockets, no SQLite.
 */
import { randomUUID } from 'node:crypto';
import { type BrokerLimits, brokerLimits } from '../limits.js';
import {
  acceptsProtocols,
  type ClassicError,
  type ClassicGroup,
  type ClassicMember,
  isValidGroupId,
  type JoinAnswer,
  metadataFor,
  newClassicGroup,
  type MemberIdentity,
  sameProtocols,
  selectProtocol,
  type SyncAnswer,
} from './classic-group.js';
import { decodeConsumerAssignment } from './consumer-protocol.js';

export interface JoinParams extends MemberIdentity {
  groupId: string;
  protocolType: string;
  /** JoinGroup v4+: a first join is answered MEMBER_ID_REQUIRED with the id to join with. */
  requireKnownMemberId: boolean;
}

export interface MemberRef {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  generationId: number;
}

export type ClassicLimits = Pick<BrokerLimits, 'membersPerGroupMax' | 'sessionTimeoutMinMs' | 'sessionTimeoutMaxMs' | 'groupIdLengthMax'>;

const EMPTY = Buffer.alloc(0);

function failedJoin(error: ClassicError, memberId = ''): JoinAnswer {
  return { error, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [], skipAssignment: false };
}

function failedSync(error: ClassicError): SyncAnswer {
  return { error, protocolType: null, protocolName: null, assignment: EMPTY };
}

export class ClassicGroupCoordinator {
  private readonly groups = new Map<string, ClassicGroup>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly limits: ClassicLimits = brokerLimits,
  ) {}

  group(groupId: string): ClassicGroup | undefined {
    return this.groups.get(groupId);
  }

  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  liveMembers(groupId: string): number {
    return this.groups.get(groupId)?.members.size ?? 0;
  }

  join(params: JoinParams): Promise<JoinAnswer> | JoinAnswer {
    if (!isValidGroupId(params.groupId, this.limits.groupIdLengthMax)) return failedJoin('INVALID_GROUP_ID');
    const { sessionTimeoutMinMs, sessionTimeoutMaxMs } = this.limits;
    if (params.sessionTimeoutMs < sessionTimeoutMinMs || params.sessionTimeoutMs > sessionTimeoutMaxMs) return failedJoin('INVALID_SESSION_TIMEOUT', params.memberId);
    let group = this.groups.get(params.groupId);
    if (!group) {
      if (params.memberId !== '') return failedJoin('UNKNOWN_MEMBER_ID', params.memberId);
      group = newClassicGroup(params.groupId);
      this.groups.set(params.groupId, group);
    }
    if (!acceptsProtocols(group, params.protocolType, params.protocols, params.memberId)) return failedJoin('INCONSISTENT_GROUP_PROTOCOL', params.memberId);
    return params.memberId === '' ? this.joinUnknown(group, params) : this.joinKnown(group, params);
  }

  private joinUnknown(group: ClassicGroup, params: JoinParams): Promise<JoinAnswer> | JoinAnswer {
    const memberId = `${params.clientId || 'member'}-${randomUUID()}`;
    const previous = params.groupInstanceId ? group.staticMembers.get(params.groupInstanceId) : undefined;
    if (previous) return this.replaceStatic(group, group.members.get(previous)!, memberId, params);
    if (group.members.size + group.pending.size >= this.limits.membersPerGroupMax) return failedJoin('GROUP_MAX_SIZE_REACHED');
    if (params.requireKnownMemberId && !params.groupInstanceId) {
      group.pending.set(memberId, this.now() + params.sessionTimeoutMs);
      this.schedule(group);
      return failedJoin('MEMBER_ID_REQUIRED', memberId);
    }
    return this.addAndRebalance(group, memberId, params);
  }

  private joinKnown(group: ClassicGroup, params: JoinParams): Promise<JoinAnswer> | JoinAnswer {
    if (group.pending.delete(params.memberId)) return this.addAndRebalance(group, params.memberId, params);
    if (this.fenced(group, params.memberId, params.groupInstanceId)) return failedJoin('FENCED_INSTANCE_ID', params.memberId);
    const member = group.members.get(params.memberId);
    if (!member) return failedJoin('UNKNOWN_MEMBER_ID', params.memberId);
    const unchanged = sameProtocols(member.protocols, params.protocols);
    if ((group.state === 'CompletingRebalance' && unchanged) || (group.state === 'Stable' && unchanged && member.memberId !== group.leaderId)) {
      this.touch(member);
      return this.joinAnswer(group, member);
    }
    this.updateMember(member, params);
    return this.awaitJoin(group, member);
  }

  /** KIP-345: a static member back with a new member id takes the old one's place and assignment. */
  private replaceStatic(group: ClassicGroup, old: ClassicMember, memberId: string, params: JoinParams): Promise<JoinAnswer> | JoinAnswer {
    old.awaitingJoin?.(failedJoin('FENCED_INSTANCE_ID', old.memberId));
    old.awaitingSync?.(failedSync('FENCED_INSTANCE_ID'));
    group.members.delete(old.memberId);
    const member: ClassicMember = { ...old, memberId, awaitingJoin: null, awaitingSync: null };
    group.members.set(memberId, member);
    group.staticMembers.set(params.groupInstanceId!, memberId);
    if (group.leaderId === old.memberId) group.leaderId = memberId;
    this.updateMember(member, params);
    // As Kafka's coordinator: a Stable group keeps its assignment unless the protocol it would
    // select now differs. The metadata bytes may differ (a restarted cooperative member owns
    // nothing yet) without a rebalance: that is the point of KIP-345.
    if (group.state === 'Stable' && selectProtocol(group) === group.protocolName) {
      const answer = this.joinAnswer(group, member);
      return member.memberId === group.leaderId ? { ...answer, skipAssignment: true } : answer;
    }
    return this.awaitJoin(group, member);
  }

  private addAndRebalance(group: ClassicGroup, memberId: string, params: JoinParams): Promise<JoinAnswer> {
    const member: ClassicMember = {
      memberId,
      groupInstanceId: params.groupInstanceId,
      clientId: params.clientId,
      clientHost: params.clientHost,
      sessionTimeoutMs: params.sessionTimeoutMs,
      rebalanceTimeoutMs: params.rebalanceTimeoutMs,
      protocols: params.protocols,
      assignment: EMPTY,
      partitions: [],
      heartbeatDeadlineMs: 0,
      awaitingJoin: null,
      awaitingSync: null,
    };
    this.updateMember(member, params);
    group.members.set(memberId, member);
    if (params.groupInstanceId) group.staticMembers.set(params.groupInstanceId, memberId);
    if (group.members.size === 1) group.protocolType = params.protocolType;
    return this.awaitJoin(group, member);
  }

  private updateMember(member: ClassicMember, params: JoinParams): void {
    member.protocols = params.protocols;
    member.sessionTimeoutMs = params.sessionTimeoutMs;
    member.rebalanceTimeoutMs = params.rebalanceTimeoutMs > 0 ? params.rebalanceTimeoutMs : params.sessionTimeoutMs;
    member.clientId = params.clientId;
    member.clientHost = params.clientHost;
    this.touch(member);
  }

  private awaitJoin(group: ClassicGroup, member: ClassicMember): Promise<JoinAnswer> {
    const answer = new Promise<JoinAnswer>((resolve) => {
      member.awaitingJoin?.(failedJoin('UNKNOWN_MEMBER_ID', member.memberId)); // a duplicate join replaces the first
      member.awaitingJoin = resolve;
    });
    if (group.state !== 'PreparingRebalance') this.prepareRebalance(group);
    else this.maybeCompleteJoin(group);
    return answer;
  }

  sync(ref: MemberRef, protocolType: string | null, protocolName: string | null, assignments: Array<{ memberId: string; assignment: Buffer }>): Promise<SyncAnswer> | SyncAnswer {
    const { group, member, error } = this.check(ref);
    if (error !== 'NONE') return failedSync(error);
    if ((protocolType !== null && protocolType !== group!.protocolType) || (protocolName !== null && protocolName !== group!.protocolName)) return failedSync('INCONSISTENT_GROUP_PROTOCOL');
    this.touch(member!);
    if (group!.state === 'PreparingRebalance') return failedSync('REBALANCE_IN_PROGRESS');
    if (group!.state === 'Stable') return this.syncAnswer(group!, member!);
    const answer = new Promise<SyncAnswer>((resolve) => (member!.awaitingSync = resolve));
    if (member!.memberId === group!.leaderId) this.completeSync(group!, assignments);
    return answer;
  }

  heartbeat(ref: MemberRef): ClassicError {
    const { group, member, error } = this.check(ref);
    if (error !== 'NONE') return error;
    this.touch(member!);
    return group!.state === 'PreparingRebalance' ? 'REBALANCE_IN_PROGRESS' : 'NONE';
  }

  /** Whether a member may commit offsets (a commit also counts as a heartbeat). */
  checkCommit(ref: MemberRef): ClassicError {
    const { group, member, error } = this.check(ref);
    if (error !== 'NONE') return error;
    if (group!.state === 'CompletingRebalance') return 'REBALANCE_IN_PROGRESS';
    this.touch(member!);
    return 'NONE';
  }

  /** LeaveGroup for one member (v3+ may name it by group.instance.id alone). */
  leave(groupId: string, memberId: string, groupInstanceId: string | null): ClassicError {
    const group = this.groups.get(groupId);
    if (!group) return 'UNKNOWN_MEMBER_ID';
    if (memberId !== '' && group.pending.delete(memberId)) return 'NONE';
    if (memberId !== '' && this.fenced(group, memberId, groupInstanceId)) return 'FENCED_INSTANCE_ID';
    const id = memberId !== '' ? memberId : groupInstanceId ? group.staticMembers.get(groupInstanceId) : undefined;
    const member = id === undefined ? undefined : group.members.get(id);
    if (!member) return 'UNKNOWN_MEMBER_ID';
    this.removeMember(group, member);
    return 'NONE';
  }

  /** DeleteGroups: only an empty group. */
  delete(groupId: string): 'NONE' | 'NON_EMPTY_GROUP' {
    const group = this.groups.get(groupId);
    if (!group) return 'NONE';
    if (group.members.size > 0) return 'NON_EMPTY_GROUP';
    this.dropGroup(group);
    return 'NONE';
  }

  /** Stops every timer (broker shutdown); members rejoin the next broker. */
  close(): void {
    for (const group of this.groups.values()) if (group.timer) clearTimeout(group.timer);
    this.groups.clear();
  }

  private check(ref: MemberRef): { group?: ClassicGroup; member?: ClassicMember; error: ClassicError } {
    const group = this.groups.get(ref.groupId);
    // An old incarnation of a static member is fenced before it is found unknown, as Kafka answers.
    if (group && this.fenced(group, ref.memberId, ref.groupInstanceId)) return { error: 'FENCED_INSTANCE_ID' };
    const member = group?.members.get(ref.memberId);
    if (!group || !member) return { error: 'UNKNOWN_MEMBER_ID' };
    if (ref.generationId !== group.generationId) return { error: 'ILLEGAL_GENERATION' };
    return { group, member, error: 'NONE' };
  }

  /** A static member's old incarnation (its instance id now names another member id). */
  private fenced(group: ClassicGroup, memberId: string, groupInstanceId: string | null): boolean {
    if (!groupInstanceId) return false;
    const current = group.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId;
  }

  private touch(member: ClassicMember): void {
    member.heartbeatDeadlineMs = this.now() + member.sessionTimeoutMs;
  }

  private joinAnswer(group: ClassicGroup, member: ClassicMember): JoinAnswer {
    const leader = member.memberId === group.leaderId;
    return {
      error: 'NONE',
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      memberId: member.memberId,
      members: leader
        ? [...group.members.values()].map((other) => ({ memberId: other.memberId, groupInstanceId: other.groupInstanceId, metadata: metadataFor(other, group.protocolName) }))
        : [],
      skipAssignment: false,
    };
  }

  private syncAnswer(group: ClassicGroup, member: ClassicMember): SyncAnswer {
    return { error: 'NONE', protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment };
  }

  private prepareRebalance(group: ClassicGroup): void {
    if (group.state === 'CompletingRebalance') {
      for (const member of group.members.values()) {
        member.awaitingSync?.(failedSync('REBALANCE_IN_PROGRESS'));
        member.awaitingSync = null;
      }
    }
    group.state = 'PreparingRebalance';
    let timeoutMs = 0;
    for (const member of group.members.values()) timeoutMs = Math.max(timeoutMs, member.rebalanceTimeoutMs);
    group.rebalanceDeadlineMs = this.now() + timeoutMs;
    this.schedule(group);
    this.maybeCompleteJoin(group);
  }

  private maybeCompleteJoin(group: ClassicGroup): void {
    if (group.state !== 'PreparingRebalance' || group.pending.size > 0) return;
    for (const member of group.members.values()) if (!member.awaitingJoin) return;
    this.completeJoin(group);
  }

  /** Ends the join phase: members that did not rejoin are removed, the rest get the new generation. */
  private completeJoin(group: ClassicGroup): void {
    for (const member of [...group.members.values()]) if (!member.awaitingJoin) this.forget(group, member);
    group.generationId++;
    if (group.members.size === 0) {
      group.state = 'Empty';
      group.protocolName = null;
      group.protocolType = null;
      group.leaderId = null;
      this.schedule(group);
      return;
    }
    group.protocolName = selectProtocol(group);
    if (!group.leaderId || !group.members.has(group.leaderId)) group.leaderId = group.members.keys().next().value!;
    group.state = 'CompletingRebalance';
    for (const member of group.members.values()) {
      this.touch(member);
      const reply = member.awaitingJoin!;
      member.awaitingJoin = null;
      reply(this.joinAnswer(group, member));
    }
    this.schedule(group);
  }

  private completeSync(group: ClassicGroup, assignments: Array<{ memberId: string; assignment: Buffer }>): void {
    const byMember = new Map(assignments.map((entry) => [entry.memberId, entry.assignment]));
    group.state = 'Stable';
    for (const member of group.members.values()) {
      member.assignment = byMember.get(member.memberId) ?? EMPTY;
      member.partitions = group.protocolType === 'consumer' ? decodeConsumerAssignment(member.assignment) : [];
      const reply = member.awaitingSync;
      member.awaitingSync = null;
      reply?.(this.syncAnswer(group, member));
    }
  }

  private removeMember(group: ClassicGroup, member: ClassicMember): void {
    member.awaitingJoin?.(failedJoin('UNKNOWN_MEMBER_ID', member.memberId));
    member.awaitingSync?.(failedSync('UNKNOWN_MEMBER_ID'));
    this.forget(group, member);
    if (group.state === 'PreparingRebalance') this.maybeCompleteJoin(group);
    else if (group.state === 'Stable' || group.state === 'CompletingRebalance') this.prepareRebalance(group);
  }

  private forget(group: ClassicGroup, member: ClassicMember): void {
    group.members.delete(member.memberId);
    if (member.groupInstanceId && group.staticMembers.get(member.groupInstanceId) === member.memberId) group.staticMembers.delete(member.groupInstanceId);
  }

  private dropGroup(group: ClassicGroup): void {
    if (group.timer) clearTimeout(group.timer);
    group.state = 'Dead';
    this.groups.delete(group.groupId);
  }

  /** The group's earliest deadline, or null when nothing is due. */
  private nextDeadline(group: ClassicGroup): number | null {
    let next = Number.POSITIVE_INFINITY;
    for (const deadline of group.pending.values()) next = Math.min(next, deadline);
    for (const member of group.members.values()) if (!member.awaitingJoin && !member.awaitingSync) next = Math.min(next, member.heartbeatDeadlineMs);
    if (group.state === 'PreparingRebalance') next = Math.min(next, group.rebalanceDeadlineMs);
    return Number.isFinite(next) ? next : null;
  }

  private schedule(group: ClassicGroup): void {
    const next = this.nextDeadline(group);
    if (next === null) {
      if (group.timer) clearTimeout(group.timer);
      group.timer = null;
      return;
    }
    if (group.timer && group.timerAtMs <= next) return; // fires first, then re-arms
    if (group.timer) clearTimeout(group.timer);
    group.timerAtMs = next;
    group.timer = setTimeout(() => this.expire(group), Math.max(0, next - this.now()));
    group.timer.unref();
  }

  /** The group's timer: removes expired members and pending ids, ends an overdue join phase. */
  expire(group: ClassicGroup): void {
    group.timer = null;
    const now = this.now();
    for (const [memberId, deadline] of group.pending) if (deadline <= now) group.pending.delete(memberId);
    for (const member of [...group.members.values()]) {
      if (!member.awaitingJoin && !member.awaitingSync && member.heartbeatDeadlineMs <= now && group.members.has(member.memberId)) this.removeMember(group, member);
    }
    if (group.state === 'PreparingRebalance' && now >= group.rebalanceDeadlineMs) this.completeJoin(group);
    else this.maybeCompleteJoin(group);
    if (group.state === 'Empty' && group.members.size === 0 && group.pending.size === 0) {
      if (group.timer) clearTimeout(group.timer);
      group.timer = null;
      return;
    }
    this.schedule(group);
  }
}
