/**
 * Per-topic log configuration, named after Kafka's topic configs in camelCase (ARCHITECTURE §2.5).
 * The broker validates user input against its schema and passes a complete, frozen LogConfig down.
 */
import { assert } from '../assert.js';
import { storageLimits } from '../limits.js';

/** `always`: ack after fdatasync (group commit). `interval:<ms>`: ack after write, sync every ms.
 *  `never`: ack after write, the OS flushes. */
export type FlushPolicy = 'always' | 'never' | `interval:${number}`;

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';

export interface LogConfig {
  flush: FlushPolicy;
  /** Time to keep records (TTL); -1 = forever. Kafka's retention.ms. */
  retentionMs: number;
  /** Bytes to keep per partition; -1 = unlimited. */
  retentionBytes: number;
  /** Roll the active segment when it reaches this size. */
  segmentBytes: number;
  /** Roll the active segment when its first record is this old; -1 = never by time. */
  segmentMs: number;
  cleanupPolicy: CleanupPolicy;
  /** How long tombstones survive compaction (Kafka's delete.retention.ms). */
  deleteRetentionMs: number;
  /** Records younger than this are never compacted. */
  minCompactionLagMs: number;
  /** Compact once this share of the log is superseded records (estimated). */
  minCleanableDirtyRatio: number;
  /** Largest batch accepted on append. */
  maxMessageBytes: number;
  /** One sparse index entry per this many bytes of log. */
  indexIntervalBytes: number;
  /** Keep a per-key stream index (ARCHITECTURE §2.6) for event-sourcing streams. Set when the topic
   *  is created: an index must cover the whole log, so it cannot be switched on later. */
  streamIndex: boolean;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const defaultLogConfig: Readonly<LogConfig> = Object.freeze({
  flush: 'always',
  retentionMs: 7 * DAY_MS,
  retentionBytes: -1,
  segmentBytes: storageLimits.segmentBytes,
  segmentMs: 7 * DAY_MS,
  cleanupPolicy: 'delete',
  deleteRetentionMs: DAY_MS,
  minCompactionLagMs: 0,
  minCleanableDirtyRatio: 0.5,
  maxMessageBytes: storageLimits.maxMessageBytes,
  indexIntervalBytes: storageLimits.indexIntervalBytes,
  streamIndex: false,
});

export interface ParsedFlushPolicy {
  mode: 'always' | 'never' | 'interval';
  intervalMs: number;
}

/** What parseFlushPolicy accepts, in words, for the error messages of every edge that takes one. */
export const flushPolicyGrammar = 'always, never or interval:<ms> (1 to 999999999 ms)';

/** The one grammar of a flush policy: the edges (broker flags, topic configs) validate with it. */
export function parseFlushPolicy(policy: string): ParsedFlushPolicy | null {
  if (policy === 'always' || policy === 'never') return { mode: policy, intervalMs: 0 };
  const match = /^interval:(\d{1,9})$/.exec(policy);
  if (!match) return null;
  const intervalMs = Number(match[1]);
  return intervalMs > 0 ? { mode: 'interval', intervalMs } : null;
}

/** The flush policy of a config that an edge already validated (an invalid one is a bug here). */
export function flushPolicyOf(config: LogConfig): ParsedFlushPolicy {
  const flush = parseFlushPolicy(config.flush);
  assert(flush !== null, `flush policy ${config.flush} was validated at the edge`);
  return flush;
}
