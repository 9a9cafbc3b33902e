/** Shapes of the broker's answers, as the client returns them (see docs/http-api.md). */

/** The stream routes' shapes, declared once beside the broker's codec (storage/streams/stream-wire.ts). */
export type { StreamEventView, StreamInfo } from '../storage/streams/stream-wire.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TopicSummary {
  name: string;
  partitions: number;
}

export interface PartitionDetail {
  partition: number;
  logStartOffset: number;
  highWatermark: number;
  bytes: number;
  segments: number;
}

export interface TopicDescription {
  name: string;
  partitions: number;
  config: Record<string, unknown>;
  createdAt: string;
  partitionDetails: PartitionDetail[];
  /** Set on temporary topics, which the broker deletes after idleMs without use. */
  temporary?: true;
  idleMs?: number;
}

export interface TopicConfig {
  flush?: string;
  retentionMs?: number;
  retentionBytes?: number;
  segmentBytes?: number;
  segmentMs?: number;
  cleanupPolicy?: 'delete' | 'compact' | 'compact,delete';
  deleteRetentionMs?: number;
  minCompactionLagMs?: number;
  minCleanableDirtyRatio?: number;
  maxMessageBytes?: number;
  indexIntervalBytes?: number;
  /** Keep a per-key stream index (event-sourcing streams, docs/event-sourcing.md); at creation only. */
  streamIndex?: boolean;
}

export interface GroupSummary {
  name: string;
  state: string;
  members: number;
  totalLag: number;
}

export interface GroupPartitionLag extends TopicPartition {
  committedOffset: number | null;
  highWatermark: number;
  lag: number;
  lagMs: number | null;
  owner: string | null;
}

export interface GroupDescription {
  name: string;
  /** 'spool' for HTTP groups; a Kafka group's protocol type ('consumer' for Kafka consumers). */
  protocol: string;
  state: string;
  generation: number;
  /** HTTP: the broker's assignor; Kafka: the assignment protocol the members chose. */
  assignor: string;
  offsetReset: string;
  /** clientHost: Kafka members only, the address they connected from. */
  members: Array<{ memberId: string; instanceId: string | null; clientId: string | null; clientHost?: string; assignments: TopicPartition[] }>;
  partitions: GroupPartitionLag[];
  totalLag: number;
}

export type ResetTarget = 'earliest' | 'latest' | { timestamp: number } | { offset: number } | { shiftBy: number };

export interface ResetResult {
  group: string;
  topic: string;
  dryRun: boolean;
  partitions: Array<{ topic: string; partition: number; previousOffset: number | null; newOffset: number }>;
}

export interface CommittedOffset extends TopicPartition {
  offset: number;
  metadata: string | null;
}

/** Where a produced record landed. */
export interface RecordMetadata {
  topic: string;
  partition: number;
  offset: number;
}

/** What `POST /v1/topics/:topic/clean` did to each partition (retention, then compaction). */
export interface TopicCleaning {
  topic: string;
  partitions: Array<{
    partition: number;
    segmentsDeleted: number;
    logStartOffsetBefore: number;
    logStartOffset: number;
    compaction: { segments: number; recordsKept: number; recordsDropped: number; bytesBefore: number; bytesAfter: number } | null;
    sealedSegments: number;
    /** The stream cleaner's work (topics with streamIndex; null on others). */
    streams: { streamsRebased: number; segmentsRewritten: number; recordsDropped: number } | null;
  }>;
}
