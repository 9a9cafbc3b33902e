/**
 * One Kafka classic consumer group (the JoinGroup/SyncGroup protocol every Kafka client speaks), in
 * memory: membership is soft state, rebuilt by members re-joining after a restart, as with HTTP
 * groups; committed offsets are durable in the shared OffsetStore.
 *
 * States, as Kafka's GroupMetadata has them:
 *
 *   Empty                no member (offsets may remain)      join             → PreparingRebalance
 *   PreparingRebalance   waiting for every member to rejoin  all rejoined, or
 *                                                            rebalance timeout → CompletingRebalance
 *                                                            (Empty when none is left)
 *   CompletingRebalance  waiting for the leader's SyncGroup  leader syncs     → Stable
 *                                                            member joins/leaves/expires → PreparingRebalance
 *   Stable               assignment handed out               member joins/leaves/expires,
 *                                                            leader rejoins   → PreparingRebalance
 *   Dead                 deleted (DeleteGroups, HTTP delete)
 */
import type { TopicPartition } from './assignors.js';

export type ClassicState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/** Kafka's answers for the group protocol (the handlers map them to error codes). */
export type ClassicError =
  | 'NONE'
  | 'UNKNOWN_MEMBER_ID'
  | 'ILLEGAL_GENERATION'
  | 'REBALANCE_IN_PROGRESS'
  | 'INCONSISTENT_GROUP_PROTOCOL'
  | 'MEMBER_ID_REQUIRED'
  | 'FENCED_INSTANCE_ID'
  | 'GROUP_MAX_SIZE_REACHED'
  | 'INVALID_SESSION_TIMEOUT'
  | 'INVALID_GROUP_ID'
  | 'COORDINATOR_NOT_AVAILABLE';

export interface Protocol {
  name: string;
  metadata: Buffer;
}

export interface JoinAnswer {
  error: ClassicError;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  /** Filled for the leader only: every member with its metadata for the chosen protocol. */
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>;
  /** KIP-814: a static leader re-joining a stable group must not compute a new assignment. */
  skipAssignment: boolean;
}

export interface SyncAnswer {
  error: ClassicError;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

/** What a member's JoinGroup says of it, kept for its life in the group. */
export interface MemberIdentity {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  /** -1 (JoinGroup v0): the session timeout. */
  rebalanceTimeoutMs: number;
  protocols: Protocol[];
}

export interface ClassicMember extends MemberIdentity {
  /** What the leader assigned it (consumer protocol bytes), empty until the first sync. */
  assignment: Buffer;
  /** Decoded from `assignment` for describe and lag (null: not the consumer protocol). */
  partitions: TopicPartition[];
  heartbeatDeadlineMs: number;
  awaitingJoin: ((answer: JoinAnswer) => void) | null;
  awaitingSync: ((answer: SyncAnswer) => void) | null;
}

export interface ClassicGroup {
  groupId: string;
  state: ClassicState;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  members: Map<string, ClassicMember>;
  /** group.instance.id → member id (KIP-345). */
  staticMembers: Map<string, string>;
  /** Member ids handed out with MEMBER_ID_REQUIRED (KIP-394), not joined yet: id → deadline. */
  pending: Map<string, number>;
  rebalanceDeadlineMs: number;
  /** The one timer of the group, armed at its earliest deadline (and when it fires). */
  timer: NodeJS.Timeout | null;
  timerAtMs: number;
}

/** Kafka group ids: any string but the empty one, here at most `lengthMax` characters. */
export function isValidGroupId(groupId: string, lengthMax: number): boolean {
  return groupId.length > 0 && groupId.length <= lengthMax;
}

export function newClassicGroup(groupId: string): ClassicGroup {
  return {
    groupId,
    state: 'Empty',
    generationId: 0,
    protocolType: null,
    protocolName: null,
    leaderId: null,
    members: new Map(),
    staticMembers: new Map(),
    pending: new Map(),
    rebalanceDeadlineMs: 0,
    timer: null,
    timerAtMs: 0,
  };
}

/** Whether a member with these protocols may join: same protocol type, one protocol all share. */
export function acceptsProtocols(group: ClassicGroup, protocolType: string, protocols: Protocol[], except?: string): boolean {
  if (protocolType.length === 0 || protocols.length === 0) return false;
  const others = [...group.members.values()].filter((member) => member.memberId !== except);
  if (others.length === 0) return true;
  if (group.protocolType !== protocolType) return false;
  return protocols.some((protocol) => others.every((member) => member.protocols.some((own) => own.name === protocol.name)));
}

/** The protocol every member supports that most members prefer (Kafka's vote). */
export function selectProtocol(group: ClassicGroup): string {
  const members = [...group.members.values()];
  const candidates = members[0]!.protocols.map((protocol) => protocol.name).filter((name) => members.every((member) => member.protocols.some((own) => own.name === name)));
  const votes = new Map<string, number>();
  for (const member of members) {
    const choice = member.protocols.find((protocol) => candidates.includes(protocol.name))!.name;
    votes.set(choice, (votes.get(choice) ?? 0) + 1);
  }
  let best = candidates[0]!;
  for (const name of candidates) if ((votes.get(name) ?? 0) > (votes.get(best) ?? 0)) best = name;
  return best;
}

export function sameProtocols(a: Protocol[], b: Protocol[]): boolean {
  return a.length === b.length && a.every((protocol, i) => protocol.name === b[i]!.name && protocol.metadata.equals(b[i]!.metadata));
}

export function metadataFor(member: ClassicMember, protocolName: string | null): Buffer {
  return member.protocols.find((protocol) => protocol.name === protocolName)?.metadata ?? Buffer.alloc(0);
}
