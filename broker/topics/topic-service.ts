/**
 * Topics: SQLite metadata plus their partition logs. Creation is atomic from a user's point of view
 * (see metadata/topic-store.ts); start-up reconciles the two sides, so a crash at any point leaves
 * either no topic or a whole one.
 */
import type { FastifyBaseLogger } from 'fastify';
import { forEachBounded, type LogConfig, type LogManager, type PartitionCleaning, type PartitionLog } from '../../storage/index.js';
import { BrokerError } from '../errors.js';
import { type BrokerLimits, brokerLimits } from '../limits.js';
import type { TopicStore } from '../metadata/topic-store.js';
import { checkStreamIndexConfig, effectiveConfig, type TopicConfigInput, validateTopicConfig } from './topic-config.js';
import { assertTopicName } from './topic-name.js';
import type { TemporaryTopics } from './temporary-topics.js';
import { PartitionsByOwner } from './partitions-by-owner.js';

export interface TopicDescription {
  name: string;
  partitions: number;
  config: LogConfig;
  createdAt: string;
  partitionDetails: Array<{ partition: number; logStartOffset: number; highWatermark: number; bytes: number; segments: number }>;
  /** Set on temporary topics: deleted after idleMs without use (see temporary-topics.ts). */
  temporary?: true;
  idleMs?: number;
}

export interface CreateOptions {
  /** A temporary topic, deleted after this many ms without a fetch, produce or naming live subscriber. */
  temporaryIdleMs?: number;
  /** Who creates it: its partitions count against that principal's quotaPartitionsPerPrincipal. */
  principal?: string;
}

export type TopicListener = (event: 'created' | 'deleted' | 'partitions', topic: string) => void;

export type TopicLimits = Pick<BrokerLimits, 'topicsMax' | 'partitionsMax' | 'topicDeletesAtOnce'>;

export class TopicService {
  private readonly listeners: TopicListener[] = [];
  /** Topics and partitions that exist or are being created: reserved before a creation awaits. */
  private topicCount = 0;
  private partitionCount = 0;
  /** Topics whose partitions are being added: one change at a time. */
  private readonly growing = new Set<string>();
  private readonly owners: PartitionsByOwner;

  constructor(
    private readonly store: TopicStore,
    private readonly logs: LogManager,
    private readonly brokerFlush: LogConfig['flush'],
    private readonly log: FastifyBaseLogger,
    /** Temporary topics' bookkeeping; without it, creating one is refused. */
    readonly temporary: TemporaryTopics | null = null,
    private readonly limits: TopicLimits = brokerLimits,
    /** quotaPartitionsPerPrincipal (0: no quota). */
    partitionsPerPrincipalMax = 0,
  ) {
    this.owners = new PartitionsByOwner(partitionsPerPrincipalMax);
  }

  /** Calls `listener` after each creation and deletion; answers a function that stops it. */
  onChange(listener: TopicListener): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  private emit(event: 'created' | 'deleted' | 'partitions', topic: string): void {
    for (const listener of this.listeners) listener(event, topic);
  }

  /** Rolls back half-created topics, removes folders SQLite does not know, opens every topic. */
  async start(): Promise<void> {
    for (const topic of this.store.all()) {
      if (topic.state === 'creating') {
        this.log.warn({ topic: topic.name }, 'rolling back a topic whose creation did not finish');
        await this.logs.removeTopicDirectory(topic.name);
        this.store.delete(topic.name);
      }
    }
    const known = new Set(this.store.all().map((topic) => topic.name));
    for (const directory of await this.logs.topicDirectories()) {
      if (!known.has(directory)) {
        this.log.warn({ directory }, 'removing a topic folder that no topic owns');
        await this.logs.removeTopicDirectory(directory);
      }
    }
    for (const topic of this.store.all()) {
      const logs = await this.logs.openTopic(topic.name, topic.partitions, effectiveConfig(topic.config, this.brokerFlush));
      for (const { partition, offset } of this.store.logStarts(topic.name)) logs[partition]?.raiseLogStartOffset(Math.min(offset, logs[partition]!.highWatermark));
      this.topicCount++;
      this.partitionCount += topic.partitions;
      this.owners.add(topic.createdBy, topic.partitions);
    }
    this.temporary?.load(this.names());
  }

  async create(name: string, partitions: number, config: TopicConfigInput = {}, options: CreateOptions = {}): Promise<TopicDescription> {
    assertTopicName(name);
    const overrides = validateTopicConfig(config);
    checkStreamIndexConfig(overrides);
    const { temporaryIdleMs } = options;
    if (temporaryIdleMs !== undefined && !this.temporary) throw new BrokerError('SPOOL_ERR_BAD_REQUEST', 'this broker has no temporary topics', { topic: name });
    const owner = options.principal ?? null;
    this.checkRoomFor(name, partitions);
    this.owners.checkRoom(owner, partitions, name);
    if (!this.store.insertCreating(name, partitions, overrides, owner)) {
      throw new BrokerError('SPOOL_ERR_TOPIC_EXISTS', `topic ${name} exists already`, { topic: name });
    }
    this.topicCount++;
    this.partitionCount += partitions;
    this.owners.add(owner, partitions);
    try {
      // Marked temporary before it is ready: a crash in between leaves an orphan row, dropped at start.
      if (temporaryIdleMs !== undefined) this.temporary!.add(name, temporaryIdleMs);
      await this.logs.openTopic(name, partitions, effectiveConfig(overrides, this.brokerFlush));
    } catch (error) {
      await this.logs.deleteTopic(name).catch(() => {});
      this.store.delete(name);
      this.temporary?.remove(name);
      this.topicCount--;
      this.partitionCount -= partitions;
      this.owners.add(owner, -partitions);
      throw error;
    }
    this.store.markReady(name);
    this.emit('created', name);
    return this.describe(name);
  }

  /**
   * 429 past topicsMax or partitionsMax: room comes back as topics are deleted. (partitionsPerTopicMax
   * is the route schema's bound.)
   */
  private checkRoomFor(name: string, partitions: number, newTopics = 1): void {
    const { topicsMax, partitionsMax } = this.limits;
    if (this.topicCount + newTopics > topicsMax) {
      throw new BrokerError('SPOOL_ERR_TOO_MANY_TOPICS', `the broker holds ${topicsMax} topics already (topicsMax)`, { topic: name, limit: 'topicsMax', max: topicsMax, retryAfterMs: 1000 });
    }
    if (this.partitionCount + partitions > partitionsMax) {
      const left = partitionsMax - this.partitionCount;
      throw new BrokerError('SPOOL_ERR_TOO_MANY_PARTITIONS', `the broker has room for ${left} more partitions of ${partitionsMax} (partitionsMax)`, { topic: name, limit: 'partitionsMax', max: partitionsMax, retryAfterMs: 1000 });
    }
  }

  names(): string[] {
    return this.store.all().filter((topic) => topic.state === 'ready').map((topic) => topic.name);
  }

  list(): Array<{ name: string; partitions: number }> {
    return this.store
      .all()
      .filter((topic) => topic.state === 'ready')
      .map((topic) => ({ name: topic.name, partitions: topic.partitions }));
  }

  /**
   * The partition logs of a topic, for a fetch, a produce or a live subscription: counts as a use
   * of a temporary topic. 404 when it does not exist.
   */
  partitions(name: string): PartitionLog[] {
    const logs = this.existing(name);
    this.temporary?.touch(name);
    return logs;
  }

  /** The logs without counting a use (describe, config, delete). */
  private existing(name: string): PartitionLog[] {
    const logs = this.logs.partitions(name);
    if (logs.length === 0) throw new BrokerError('SPOOL_ERR_TOPIC_NOT_FOUND', `topic ${name} does not exist`, { topic: name.slice(0, 300) });
    return logs;
  }

  partition(name: string, partition: number): PartitionLog {
    const logs = this.partitions(name);
    const log = logs[partition];
    if (!log) {
      throw new BrokerError('SPOOL_ERR_PARTITION_NOT_FOUND', `topic ${name} has partitions 0-${logs.length - 1}, not ${partition}`, {
        topic: name,
        partition,
        partitions: logs.length,
      });
    }
    return log;
  }

  describe(name: string): TopicDescription {
    const logs = this.existing(name);
    const record = this.store.get(name)!;
    const idleMs = this.temporary?.idleMsOf(name) ?? null;
    return {
      name,
      partitions: logs.length,
      config: effectiveConfig(record.config, this.brokerFlush),
      createdAt: new Date(record.createdAtMs).toISOString(),
      partitionDetails: logs.map((log) => {
        const stats = log.stats();
        return {
          partition: log.partition,
          logStartOffset: stats.logStartOffset,
          highWatermark: stats.highWatermark,
          bytes: stats.sizeBytes,
          segments: stats.segments,
        };
      }),
      ...(idleMs === null ? {} : { temporary: true as const, idleMs }),
    };
  }

  /** When the topic was created: with its name, what tells one incarnation of a name from the next. */
  createdAtMs(name: string): number {
    this.existing(name);
    return this.store.get(name)!.createdAtMs;
  }

  async delete(name: string): Promise<void> {
    const partitions = this.existing(name).length;
    const owner = this.store.get(name)?.createdBy ?? null;
    this.store.delete(name);
    this.topicCount--;
    this.partitionCount -= partitions;
    this.owners.add(owner, -partitions);
    this.temporary?.remove(name);
    await this.logs.deleteTopic(name);
    this.emit('deleted', name);
  }

  /**
   * Deletes every topic (an embedded broker's reset() between tests), each as delete() does, their
   * queues with them; a few at a time, as each closes its partitions' files. A topic deleted
   * meanwhile (a temporary one's sweep) is simply gone.
   */
  async deleteAll(): Promise<void> {
    await forEachBounded(this.names(), this.limits.topicDeletesAtOnce, async (name) => {
      if (this.store.get(name)) await this.delete(name);
    });
  }

  /**
   * Kafka's CreatePartitions: grows a topic to `total` partitions (never shrinks). The count is
   * saved first: a crash before the new folders exist opens them empty at the next start.
   */
  async addPartitions(name: string, total: number, maxPartitions: number): Promise<void> {
    const logs = this.existing(name);
    const current = logs.length;
    // A stream lives in murmur2(key) % partitions: more partitions would split streams in two.
    this.refuseOnStreamTopic(logs, name, 'adding partitions would move streams to other partitions');
    if (!Number.isInteger(total) || total <= current || total > maxPartitions) {
      throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `topic ${name} has ${current} partitions: a new count must be ${current + 1}-${maxPartitions}, not ${total}`, { topic: name, field: 'partitions' });
    }
    if (this.growing.has(name)) throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `partitions are being added to topic ${name} already`, { topic: name, field: 'partitions' });
    this.checkRoomFor(name, total - current, 0);
    // Added partitions count against the topic's creator, whoever adds them.
    const owner = this.store.get(name)!.createdBy;
    this.owners.checkRoom(owner, total - current, name);
    this.growing.add(name);
    this.partitionCount += total - current;
    this.owners.add(owner, total - current);
    this.store.setPartitions(name, total);
    try {
      await this.logs.addPartitions(name, total, effectiveConfig(this.store.get(name)!.config, this.brokerFlush));
    } catch (error) {
      this.store.setPartitions(name, current);
      this.partitionCount -= total - current;
      this.owners.add(owner, current - total);
      throw error;
    } finally {
      this.growing.delete(name);
    }
    this.emit('partitions', name);
  }

  /** Kafka's DeleteRecords: moves a partition's log start offset up to `offset`, durably. */
  deleteRecordsBefore(name: string, partition: number, offset: number): number {
    this.refuseOnStreamTopic(this.existing(name), name, 'deleting records would renumber stream versions');
    const logStartOffset = this.partition(name, partition).raiseLogStartOffset(offset);
    this.store.setLogStart(name, partition, logStartOffset);
    return logStartOffset;
  }

  /** Runs retention and compaction of a topic now (storage/log/cleaner.ts) and says what they did. */
  async clean(name: string): Promise<{ topic: string; partitions: PartitionCleaning[] }> {
    this.existing(name);
    return { topic: name, partitions: await this.logs.cleanTopic(name) };
  }

  /** Stream topics (streamIndex) keep every record where the partitioner put it (docs/event-sourcing.md). */
  private refuseOnStreamTopic(logs: PartitionLog[], name: string, why: string): void {
    if (logs[0]?.config.streamIndex) throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `topic ${name} keeps a stream index: ${why}`, { topic: name });
  }

  updateConfig(name: string, changes: TopicConfigInput): TopicDescription {
    this.existing(name);
    const previous = this.store.get(name)!.config;
    const overrides = { ...previous, ...validateTopicConfig(changes) };
    checkStreamIndexConfig(overrides, previous);
    this.store.updateConfig(name, overrides);
    this.logs.updateTopicConfig(name, effectiveConfig(overrides, this.brokerFlush));
    return this.describe(name);
  }
}
