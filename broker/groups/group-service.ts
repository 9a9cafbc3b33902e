/**
 * Consumer groups as the HTTP routes see them: the coordinator (membership, assignment), the
 * offset store (durable commits) and the logs (high watermarks, lag, offsets for a time).
 */
import { decodeRecordBatches, type LogManager, type PartitionLog, StorageError } from '../../storage/index.js';
import { BrokerError } from '../errors.js';
import type { TopicPartition } from './assignors.js';
import type { ClassicGroupCoordinator } from './classic-coordinator.js';
import type { GroupCoordinator, JoinRequest, JoinResult } from './coordinator.js';
import { phaseOf } from './group-state.js';
import type { CommittedOffset, OffsetStore } from './offset-store.js';
import type { BrokerLimits } from '../limits.js';
import { checkPattern } from './topic-pattern.js';
import { TurnSlicer } from '../turn-slicer.js';

/** Kafka's ListOffsets timestamps for the earliest and the latest offset. */
const EARLIEST_SENTINEL = -2;
const LATEST_SENTINEL = -1;

export type ResetTarget = 'earliest' | 'latest' | { timestamp: number } | { offset: number } | { shiftBy: number };

export interface CommitRequest {
  memberId?: string;
  generation?: number;
  /** The reset epoch the member last saw: a commit from before an admin reset is fenced, not applied over it. */
  resetEpoch?: number;
  offsets: Array<{ topic: string; partition: number; offset: number; metadata?: string | null }>;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  owner: string | null;
  committedOffset: number | null;
  highWatermark: number;
  logStartOffset: number;
  lag: number;
  /** Age of the oldest unconsumed record, 0 when caught up. */
  lagMs: number;
}

export interface LagSample {
  group: string;
  topic: string;
  partition: number;
  lag: number;
  lagSeconds: number;
}

export class GroupService {
  constructor(
    private readonly coordinator: GroupCoordinator,
    private readonly offsets: OffsetStore,
    private readonly logs: LogManager,
    private readonly limits: Pick<BrokerLimits, 'patternWordsMax' | 'groupsMax' | 'groupRetentionMs'>,
    /** Kafka classic groups (the Kafka listener's JoinGroup/SyncGroup): same offsets, same views. */
    private readonly classic: ClassicGroupCoordinator,
  ) {}

  /**
   * A group id is bound to one protocol while it has live members: a Kafka join of a group with
   * live HTTP members, or the other way round, is refused (Kafka: INCONSISTENT_GROUP_PROTOCOL).
   */
  private checkProtocol(group: string, wanted: 'kafka' | 'http'): void {
    const httpMembers = this.coordinator.group(group)?.members.size ?? 0;
    const kafkaMembers = this.classic.liveMembers(group);
    const other = wanted === 'kafka' ? httpMembers : kafkaMembers;
    if (other === 0) return;
    const bound = wanted === 'kafka' ? 'HTTP' : 'Kafka';
    throw new BrokerError('SPOOL_ERR_GROUP_PROTOCOL', `group ${group} has ${other} live ${bound} members: a group id is used by one protocol at a time`, { group, protocol: bound.toLowerCase(), members: other });
  }

  /** Before a Kafka JoinGroup: the protocol binding, groupsMax, and the group remembered for listings. */
  admitKafkaGroup(group: string): void {
    this.checkProtocol(group, 'kafka');
    if (this.classic.group(group)) return;
    this.checkRoomFor(group);
    this.offsets.ensureGroup(group, 'latest');
  }

  /**
   * Kafka OffsetCommit, after the classic coordinator accepted the member (or, with generation -1,
   * as an admin commit of a group without live members): each partition checked on its own, the
   * valid ones stored in one transaction. Answers the error of each refused partition.
   */
  async commitKafka(group: string, entries: Array<Omit<CommittedOffset, 'committedAtMs'>>): Promise<Map<string, unknown>> {
    this.checkProtocol(group, 'kafka');
    this.checkRoomFor(group);
    const refused = new Map<string, unknown>();
    const rows = [];
    for (const entry of entries) {
      try {
        const offset = this.resolveKafkaSentinel(entry);
        this.checkCommitOffset({ ...entry, offset });
        rows.push({ ...entry, offset });
      } catch (error) {
        refused.set(`${entry.topic}:${entry.partition}`, error);
      }
    }
    if (rows.length > 0) await this.offsets.commitBatched(group, rows);
    return refused;
  }

  /**
   * KafkaJS's admin seeks (resetOffsets, setOffsets) commit ListOffsets' sentinels as they are:
   * -2 for the earliest offset, -1 for the latest. Kafka stores them and the client resolves them
   * when it resumes; Spool stores the offset they stand for now, so lag and resets read real offsets.
   */
  private resolveKafkaSentinel(entry: { topic: string; partition: number; offset: number }): number {
    if (entry.offset !== EARLIEST_SENTINEL && entry.offset !== LATEST_SENTINEL) return entry.offset;
    const log = this.partitionLog(entry.topic, entry.partition);
    return entry.offset === EARLIEST_SENTINEL ? log.logStartOffset : log.highWatermark;
  }

  /** Kafka OffsetDelete: forgets these partitions' committed offsets. */
  deleteOffsets(group: string, partitions: TopicPartition[]): void {
    this.requireGroup(group);
    this.offsets.deleteOffsets(group, partitions);
  }

  /** 429 when `group` would be a new group past groupsMax. */
  private checkRoomFor(group: string): void {
    if (this.coordinator.group(group) || this.offsets.group(group)) return;
    const max = this.limits.groupsMax;
    if (this.offsets.count() >= max) {
      throw new BrokerError('SPOOL_ERR_TOO_MANY_GROUPS', `the broker holds ${max} consumer groups already (groupsMax)`, { group, limit: 'groupsMax', max, retryAfterMs: 1000 });
    }
  }

  /**
   * Deletes groups without a live member whose last join or commit is older than groupRetentionMs,
   * with their offsets (Kafka's offsets.retention). A group with live members is marked in use.
   */
  expireIdleGroups(nowMs = Date.now()): string[] {
    this.coordinator.expire();
    const deleted: string[] = [];
    for (const group of this.offsets.idleSince(nowMs - this.limits.groupRetentionMs)) {
      const state = this.coordinator.group(group);
      if ((state && state.members.size > 0) || this.classic.liveMembers(group) > 0) {
        this.offsets.ensureGroup(group, state?.offsetReset ?? 'latest');
        continue;
      }
      this.coordinator.deleteGroup(group);
      this.classic.delete(group);
      this.offsets.deleteGroup(group);
      deleted.push(group);
    }
    return deleted;
  }

  private partitionLog(topic: string, partition: number): PartitionLog {
    const log = this.logs.partition(topic, partition);
    if (log) return log;
    if (this.logs.partitions(topic).length === 0) throw new BrokerError('SPOOL_ERR_TOPIC_NOT_FOUND', `topic ${topic} does not exist`, { topic });
    throw new BrokerError('SPOOL_ERR_PARTITION_NOT_FOUND', `topic ${topic} has no partition ${partition}`, { topic, partition });
  }

  groupExists(group: string): boolean {
    return this.offsets.group(group) !== null || this.coordinator.group(group) !== undefined || this.classic.group(group) !== undefined;
  }

  private requireGroup(group: string): void {
    if (!this.groupExists(group)) {
      throw new BrokerError('SPOOL_ERR_GROUP_NOT_FOUND', `group ${group} does not exist`, { group });
    }
  }

  join(group: string, request: JoinRequest): JoinResult & { offsetReset: 'earliest' | 'latest' } {
    const { topics, pattern } = request.subscription;
    if ((!topics || topics.length === 0) && !pattern) throw new BrokerError('SPOOL_ERR_BAD_REQUEST', 'a join names topics or a pattern', { group });
    if (pattern !== undefined) checkPattern(pattern, this.limits.patternWordsMax, { group });
    this.checkProtocol(group, 'http');
    this.checkRoomFor(group);
    this.offsets.ensureGroup(group, request.offsetReset ?? 'latest');
    const result = this.coordinator.join(group, request);
    return { ...result, offsetReset: this.coordinator.group(group)!.offsetReset };
  }

  heartbeat(group: string, memberId: string, revoked: TopicPartition[]) {
    return this.coordinator.heartbeat(group, memberId, revoked);
  }

  leave(group: string, memberId: string): void {
    this.coordinator.leave(group, memberId);
  }

  async commit(group: string, request: CommitRequest): Promise<Array<Omit<CommittedOffset, 'committedAtMs'>>> {
    this.checkProtocol(group, 'http');
    this.checkRoomFor(group);
    const partitions = request.offsets.map(({ topic, partition }) => ({ topic, partition }));
    if (request.memberId !== undefined) {
      this.coordinator.validateCommit(group, request.memberId, request.generation ?? -1, partitions, request.resetEpoch);
    } else if ((this.coordinator.group(group)?.members.size ?? 0) > 0) {
      throw new BrokerError('SPOOL_ERR_FENCED', `group ${group} has live members: commits must name memberId and generation`, { group });
    }
    for (const entry of request.offsets) this.checkCommitOffset(entry);
    const rows = request.offsets.map((entry) => ({ ...entry, metadata: entry.metadata ?? null }));
    await this.offsets.commitBatched(group, rows);
    return rows;
  }

  /** A committed offset names an existing partition and lies within [0, high watermark]. */
  private checkCommitOffset(entry: { topic: string; partition: number; offset: number }): void {
    const log = this.partitionLog(entry.topic, entry.partition);
    if (!Number.isSafeInteger(entry.offset) || entry.offset < 0 || entry.offset > log.highWatermark) {
      throw new StorageError('SPOOL_ERR_OFFSET_OUT_OF_RANGE', `offset ${entry.offset} is outside [0, ${log.highWatermark}]`, {
        topic: entry.topic,
        partition: entry.partition,
        offset: entry.offset,
        logStartOffset: log.logStartOffset,
        highWatermark: log.highWatermark,
      });
    }
  }

  committed(group: string): CommittedOffset[] {
    this.requireGroup(group);
    return this.offsets.offsets(group);
  }

  /** Lag of every partition the group consumes or has committed for. */
  async lag(group: string): Promise<PartitionLag[]> {
    const result: PartitionLag[] = [];
    for (const entry of this.lagInRecords(group)) {
      const { log, from, ...rest } = entry;
      result.push({ ...rest, lagMs: await this.ageOfRecordAt(log, from) });
    }
    return result;
  }

  /**
   * Lag in records of every partition the group consumes or has committed for: no log read, so
   * listing thousands of groups or scraping metrics costs memory lookups, not I/O.
   */
  private lagInRecords(group: string): Array<Omit<PartitionLag, 'lagMs'> & { log: PartitionLog; from: number }> {
    const state = this.coordinator.group(group);
    const committed = new Map(this.offsets.offsets(group).map((entry) => [`${entry.topic}:${entry.partition}`, entry.offset]));
    const kafkaOwners = this.kafkaOwners(group);
    const keys = new Set([...committed.keys(), ...(state ? [...state.target.keys()] : []), ...kafkaOwners.keys()]);
    const offsetReset = state?.offsetReset ?? this.offsets.group(group)?.offsetReset ?? 'latest';
    const result = [];
    for (const key of [...keys].sort()) {
      const at = key.lastIndexOf(':');
      const topic = key.slice(0, at);
      const partition = Number(key.slice(at + 1));
      const log = this.logs.partition(topic, partition);
      if (!log) continue;
      const committedOffset = committed.get(key) ?? null;
      const from = Math.max(committedOffset ?? (offsetReset === 'earliest' ? log.logStartOffset : log.highWatermark), log.logStartOffset);
      result.push({
        topic,
        partition,
        owner: state?.owner.get(key) ?? kafkaOwners.get(key) ?? null,
        committedOffset,
        highWatermark: log.highWatermark,
        logStartOffset: log.logStartOffset,
        lag: Math.max(0, log.highWatermark - from),
        log,
        from,
      });
    }
    return result;
  }

  /**
   * Lag per group, topic and partition for /metrics: at most `seriesMax` entries (the age of the
   * oldest unconsumed record costs one small read each), and how many were left out past that.
   */
  async lagSamples(seriesMax: number): Promise<{ samples: LagSample[]; omitted: number }> {
    const samples: LagSample[] = [];
    let omitted = 0;
    const slicer = new TurnSlicer();
    for (const group of this.groupNames()) {
      await slicer.pass();
      for (const entry of this.lagInRecords(group)) {
        if (samples.length >= seriesMax) {
          omitted++;
          continue;
        }
        const lagMs = entry.lag === 0 ? 0 : await this.ageOfRecordAt(entry.log, entry.from);
        samples.push({ group, topic: entry.topic, partition: entry.partition, lag: entry.lag, lagSeconds: lagMs / 1000 });
      }
    }
    return { samples, omitted };
  }

  /** A Kafka group's partitions by owner, decoded from the assignments its leader sent. */
  private kafkaOwners(group: string): Map<string, string> {
    const owners = new Map<string, string>();
    for (const member of this.classic.group(group)?.members.values() ?? []) {
      for (const tp of member.partitions) owners.set(`${tp.topic}:${tp.partition}`, member.memberId);
    }
    return owners;
  }

  private groupNames(): string[] {
    return [...new Set([...this.offsets.groups().map((group) => group.name), ...this.coordinator.groupNames(), ...this.classic.groupIds()])].sort();
  }

  /** The state a listing shows: the HTTP group's phase, or the Kafka group's state while it has members. */
  private stateOf(group: string): string {
    const kafka = this.classic.group(group);
    if (kafka && kafka.members.size > 0) return kafka.state;
    const state = this.coordinator.group(group);
    return state ? phaseOf(state) : 'Empty';
  }

  private async ageOfRecordAt(log: PartitionLog, offset: number): Promise<number> {
    if (offset >= log.highWatermark) return 0;
    const read = await log.read(offset, 1);
    const record = decodeRecordBatches(read.data)
      .flatMap((batch) => batch.records)
      .find((candidate) => candidate.offset >= offset);
    return record ? Math.max(0, Date.now() - record.timestamp) : 0;
  }

  /** Every group; `countsTopic` says which topics' lag the total counts (the caller's Describe ACLs). */
  async list(countsTopic: (topic: string) => boolean = () => true): Promise<Array<{ name: string; state: string; members: number; totalLag: number }>> {
    const result = [];
    const slicer = new TurnSlicer();
    for (const name of this.groupNames()) {
      await slicer.pass();
      const state = this.coordinator.group(name);
      const lag = this.lagInRecords(name).filter((entry) => countsTopic(entry.topic));
      result.push({
        name,
        state: this.stateOf(name),
        members: (state?.members.size ?? 0) + this.classic.liveMembers(name),
        totalLag: lag.reduce((sum, entry) => sum + entry.lag, 0),
      });
    }
    return result;
  }

  async describe(group: string) {
    this.requireGroup(group);
    this.coordinator.expire();
    const state = this.coordinator.group(group);
    const kafka = this.classic.group(group);
    const partitions = await this.lag(group);
    const assignedTo = (memberId: string) => partitions.filter((entry) => entry.owner === memberId).map(({ topic, partition }) => ({ topic, partition }));
    const httpMembers = [...(state?.members.values() ?? [])].map((member) => ({
      memberId: member.memberId,
      instanceId: member.instanceId,
      clientId: member.clientId,
      subscription: member.subscription,
      sessionTimeoutMs: member.sessionTimeoutMs,
      assignments: assignedTo(member.memberId),
    }));
    const kafkaMembers = [...(kafka?.members.values() ?? [])].map((member) => ({
      memberId: member.memberId,
      instanceId: member.groupInstanceId,
      clientId: member.clientId,
      clientHost: member.clientHost,
      sessionTimeoutMs: member.sessionTimeoutMs,
      assignments: assignedTo(member.memberId),
    }));
    const isKafka = kafkaMembers.length > 0 || (kafka !== undefined && httpMembers.length === 0);
    return {
      name: group,
      // 'spool' for HTTP groups; a Kafka group's protocol type ('consumer' for Kafka consumers).
      protocol: isKafka ? (kafka!.protocolType ?? 'consumer') : 'spool',
      state: this.stateOf(group),
      generation: isKafka ? kafka!.generationId : (state?.generation ?? 0),
      // HTTP: the broker's assignor; Kafka: the protocol the members chose (range, roundrobin, cooperative-sticky...).
      assignor: isKafka ? (kafka!.protocolName ?? '') : (state?.assignor ?? 'sticky'),
      offsetReset: state?.offsetReset ?? this.offsets.group(group)?.offsetReset ?? 'latest',
      members: isKafka ? kafkaMembers : httpMembers,
      partitions,
      totalLag: partitions.reduce((sum, entry) => sum + entry.lag, 0),
    };
  }

  delete(group: string): void {
    this.requireGroup(group);
    this.coordinator.expire();
    this.refuseLiveKafkaMembers(group, 'deleted');
    this.coordinator.deleteGroup(group);
    this.classic.delete(group);
    this.offsets.deleteGroup(group);
  }

  /**
   * Deletes every group, live members and committed offsets included (an embedded broker's
   * reset() between tests): a member still running finds its group gone at its next heartbeat and
   * joins again, as after delete().
   */
  deleteAll(): void {
    this.coordinator.deleteAllGroups();
    // Kafka groups too: their members get UNKNOWN_MEMBER_ID at their next heartbeat and rejoin.
    this.classic.close();
    this.offsets.deleteAllGroups();
  }

  /**
   * Kafka consumers keep their positions in memory and would commit over a reset, so a Kafka
   * group's offsets change only while it has no live member (as kafka-consumer-groups requires).
   */
  private refuseLiveKafkaMembers(group: string, action: string): void {
    const members = this.classic.liveMembers(group);
    if (members === 0) return;
    throw new BrokerError('SPOOL_ERR_GROUP_NOT_EMPTY', `group ${group} is a Kafka group with ${members} live members: its offsets can be ${action} only once every consumer has stopped`, { group, members });
  }

  /**
   * Moves committed offsets. An HTTP group's live members re-read them at their next heartbeat; a
   * Kafka group must be empty.
   */
  async reset(group: string, topic: string, to: ResetTarget, partitions: number[] | undefined, dryRun: boolean) {
    this.refuseLiveKafkaMembers(group, 'reset');
    const logs = this.logs.partitions(topic);
    if (logs.length === 0) throw new BrokerError('SPOOL_ERR_TOPIC_NOT_FOUND', `topic ${topic} does not exist`, { topic });
    const committed = new Map(this.offsets.offsets(group).filter((entry) => entry.topic === topic).map((entry) => [entry.partition, entry.offset]));
    const chosen = partitions ?? logs.map((log) => log.partition);
    const changes = [];
    for (const partition of chosen) {
      const log = this.partitionLog(topic, partition);
      const previous = committed.get(partition) ?? null;
      const target = await this.resolveResetTarget(log, to, previous);
      changes.push({ topic, partition, previousOffset: previous, newOffset: Math.min(Math.max(target, log.logStartOffset), log.highWatermark) });
    }
    if (!dryRun) {
      this.offsets.commit(group, changes.map((change) => ({ topic, partition: change.partition, offset: change.newOffset, metadata: 'reset' })));
      this.coordinator.offsetsReset(group);
    }
    return { group, topic, dryRun, partitions: changes };
  }

  private async resolveResetTarget(log: PartitionLog, to: ResetTarget, previous: number | null): Promise<number> {
    if (to === 'earliest') return log.logStartOffset;
    if (to === 'latest') return log.highWatermark;
    if ('timestamp' in to) return (await log.offsetForTimestamp(to.timestamp)) ?? log.highWatermark;
    if ('offset' in to) return to.offset;
    return (previous ?? log.highWatermark) + to.shiftBy;
  }
}
