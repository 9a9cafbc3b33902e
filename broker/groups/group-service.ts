/**
 * Consumer groups as the HTTP routes see them: the coordinator (membership, assignment), the
 * offset store (durable commits) and the logs (high watermarks, lag, offsets for a time).
 */
import { decodeRecordBatches, type LogManager, type PartitionLog, StorageError } from '../../storage/index.js';
import { BrokerError } from '../errors.js';
import type { TopicPartition } from './assignors.js';
import type { GroupCoordinator, JoinRequest, JoinResult } from './coordinator.js';
import { phaseOf } from './group-state.js';
import type { CommittedOffset, OffsetStore } from './offset-store.js';
import type { BrokerLimits } from '../limits.js';
import { checkPattern } from './topic-pattern.js';

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
  ) {}

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
      if (state && state.members.size > 0) {
        this.offsets.ensureGroup(group, state.offsetReset);
        continue;
      }
      this.coordinator.deleteGroup(group);
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

  private requireGroup(group: string): void {
    if (!this.offsets.group(group) && !this.coordinator.group(group)) {
      throw new BrokerError('SPOOL_ERR_GROUP_NOT_FOUND', `group ${group} does not exist`, { group });
    }
  }

  join(group: string, request: JoinRequest): JoinResult & { offsetReset: 'earliest' | 'latest' } {
    const { topics, pattern } = request.subscription;
    if ((!topics || topics.length === 0) && !pattern) throw new BrokerError('SPOOL_ERR_BAD_REQUEST', 'a join names topics or a pattern', { group });
    if (pattern !== undefined) checkPattern(pattern, this.limits.patternWordsMax, { group });
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
    this.checkRoomFor(group);
    const partitions = request.offsets.map(({ topic, partition }) => ({ topic, partition }));
    if (request.memberId !== undefined) {
      this.coordinator.validateCommit(group, request.memberId, request.generation ?? -1, partitions, request.resetEpoch);
    } else if ((this.coordinator.group(group)?.members.size ?? 0) > 0) {
      throw new BrokerError('SPOOL_ERR_FENCED', `group ${group} has live members: commits must name memberId and generation`, { group });
    }
    for (const entry of request.offsets) {
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
    const rows = request.offsets.map((entry) => ({ ...entry, metadata: entry.metadata ?? null }));
    await this.offsets.commitBatched(group, rows);
    return rows;
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
    const keys = new Set([...committed.keys(), ...(state ? [...state.target.keys()] : [])]);
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
        owner: state?.owner.get(key) ?? null,
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
    for (const group of this.groupNames()) {
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

  private groupNames(): string[] {
    return [...new Set([...this.offsets.groups().map((group) => group.name), ...this.coordinator.groupNames()])].sort();
  }

  private async ageOfRecordAt(log: PartitionLog, offset: number): Promise<number> {
    if (offset >= log.highWatermark) return 0;
    const read = await log.read(offset, 1);
    const record = decodeRecordBatches(read.data)
      .flatMap((batch) => batch.records)
      .find((candidate) => candidate.offset >= offset);
    return record ? Math.max(0, Date.now() - record.timestamp) : 0;
  }

  async list(): Promise<Array<{ name: string; state: string; members: number; totalLag: number }>> {
    const result = [];
    for (const name of this.groupNames()) {
      const state = this.coordinator.group(name);
      const lag = this.lagInRecords(name);
      result.push({
        name,
        state: state ? phaseOf(state) : 'Empty',
        members: state?.members.size ?? 0,
        totalLag: lag.reduce((sum, entry) => sum + entry.lag, 0),
      });
    }
    return result;
  }

  async describe(group: string) {
    this.requireGroup(group);
    this.coordinator.expire();
    const state = this.coordinator.group(group);
    const partitions = await this.lag(group);
    const members = state
      ? [...state.members.values()].map((member) => ({
          memberId: member.memberId,
          instanceId: member.instanceId,
          clientId: member.clientId,
          subscription: member.subscription,
          sessionTimeoutMs: member.sessionTimeoutMs,
          assignments: partitions.filter((entry) => entry.owner === member.memberId).map(({ topic, partition }) => ({ topic, partition })),
        }))
      : [];
    return {
      name: group,
      state: state ? phaseOf(state) : 'Empty',
      generation: state?.generation ?? 0,
      assignor: state?.assignor ?? 'sticky',
      offsetReset: state?.offsetReset ?? this.offsets.group(group)?.offsetReset ?? 'latest',
      members,
      partitions,
      totalLag: partitions.reduce((sum, entry) => sum + entry.lag, 0),
    };
  }

  delete(group: string): void {
    this.requireGroup(group);
    this.coordinator.expire();
    this.coordinator.deleteGroup(group);
    this.offsets.deleteGroup(group);
  }

  /**
   * Deletes every group, live members and committed offsets included (an embedded broker's
   * reset() between tests): a member still running finds its group gone at its next heartbeat and
   * joins again, as after delete().
   */
  deleteAll(): void {
    this.coordinator.deleteAllGroups();
    this.offsets.deleteAllGroups();
  }

  /** Moves committed offsets; allowed while members are active (they re-read at their next heartbeat). */
  async reset(group: string, topic: string, to: ResetTarget, partitions: number[] | undefined, dryRun: boolean) {
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
