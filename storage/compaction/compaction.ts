/**
 * Runs compaction of one partition: picks the sealed segments old enough (minCompactionLagMs)
 * when enough of the log was written since the last pass (minCleanableDirtyRatio, estimated as
 * bytes appended since the last compaction over the log's bytes), hands them to a worker thread,
 * then swaps each cleaned segment in (segment-lifecycle.ts) while appends and reads go on.
 */
import { Worker } from 'node:worker_threads';
import { type ErrorContext, StorageError, type StorageErrorCode } from '../errors.js';
import type { PartitionState } from '../log/partition-state.js';
import { sealedMaxTimestamp } from '../log/retention.js';
import { swapInCleanedSegment } from '../log/segment-lifecycle.js';
import type { CompactionJob, CompactionResult } from './compactor.js';

export interface CompactionOutcome extends CompactionResult {
  threadId: number;
}

/** The worker's compiled file. Under a TS runner (vitest) the sources have no .js beside them: use dist/. */
function workerUrl(): URL {
  const here = new URL('./compaction-worker.js', import.meta.url);
  if (!import.meta.url.endsWith('.ts')) return here;
  return new URL(here.href.replace(/\/storage\/compaction\//, '/dist/storage/compaction/'));
}

interface WorkerAnswer {
  ok: boolean;
  threadId: number;
  result?: CompactionResult;
  message?: string;
  /** The storage error's code and context, when the worker failed with one (damage names its file and offset). */
  code?: StorageErrorCode;
  context?: ErrorContext;
}

export function runWorker(job: CompactionJob, context: ErrorContext): Promise<CompactionOutcome> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerUrl(), { workerData: job });
    worker.once('message', (answer: WorkerAnswer) => {
      if (answer.ok) resolve({ ...answer.result!, threadId: answer.threadId });
      else if (answer.code) reject(new StorageError(answer.code, answer.message!, { ...context, ...answer.context }));
      else reject(new StorageError('SPOOL_ERR_IO', `compaction failed: ${answer.message}`, context));
    });
    worker.once('error', reject);
  });
}

/** Bytes written since the last compaction, per partition state (an estimate of the dirty part). */
const cleanedBytes = new WeakMap<PartitionState, number>();

export function isCompacted(state: PartitionState): boolean {
  return state.config.cleanupPolicy.split(',').includes('compact');
}

export async function compactPartition(state: PartitionState, nowMs: number, force = false): Promise<CompactionOutcome | null> {
  if (!isCompacted(state)) return null;
  const sealed = [];
  for (const segment of state.segments.slice(0, -1)) {
    const maxTimestamp = await sealedMaxTimestamp(state, segment);
    if (maxTimestamp === null || maxTimestamp > nowMs - state.config.minCompactionLagMs) break;
    sealed.push(segment);
  }
  if (sealed.length === 0) return null;
  const totalBytes = state.segments.reduce((sum, segment) => sum + segment.sizeBytes, 0);
  const dirtyRatio = (totalBytes - (cleanedBytes.get(state) ?? 0)) / Math.max(1, totalBytes);
  if (!force && dirtyRatio < state.config.minCleanableDirtyRatio) return null;
  const active = state.segments[state.segments.length - 1]!;
  const outcome = await runWorker({
    segments: sealed.map((segment) => ({ dir: segment.dir, baseOffset: segment.baseOffset, logPath: segment.logPath, sizeBytes: segment.sizeBytes, nextOffset: segment.nextOffset })),
    active: { logPath: active.logPath, baseOffset: active.baseOffset, sizeBytes: active.sizeBytes },
    nowMs,
    deleteRetentionMs: state.config.deleteRetentionMs,
    indexIntervalBytes: state.config.indexIntervalBytes,
  }, { topic: state.topic, partition: state.partition });
  for (const cleaned of outcome.cleaned) {
    const segment = sealed.find((candidate) => candidate.baseOffset === cleaned.baseOffset)!;
    await swapInCleanedSegment(state, segment);
  }
  cleanedBytes.set(state, state.segments.reduce((sum, segment) => sum + segment.sizeBytes, 0));
  return outcome;
}
