/**
 * Erasing streams (GDPR, docs/event-sourcing.md "Erase"): every record of an erased stream is
 * removed from every segment by the compaction machinery, in a worker thread. Each segment holding
 * some of them is rewritten without them (other records keep their offsets and bytes; a Kafka
 * consumer sees the erased offsets skipped, as after compaction) and swapped in through the same
 * crash-safe steps as a compacted one (segment-lifecycle.ts). The active segment is sealed first,
 * since only sealed segments are rewritten. Then the rewritten segments' `.keys` files, which name
 * the stream, are rebuilt from their new logs.
 *
 * The stream was marked erased (durably) before: its id is refused for writes from then on, so no
 * record of it can arrive behind the worker. A pass interrupted by a crash is run again at the
 * next open (the mark keeps the id until the pass has finished); a segment already rewritten then
 * holds nothing of the stream and is left alone.
 */
import type { PartitionState } from '../log/partition-state.js';
import { activeSegment } from '../log/partition-state.js';
import type { Segment } from '../log/segment.js';
import { swapInCleanedSegment } from '../log/segment-lifecycle.js';
import { runWorker } from './compaction.js';

export interface EraseOutcome {
  segmentsRewritten: number;
  recordsDropped: number;
}

/** Removes the records of every stream marked erased and not yet done; `roll` seals the active segment. */
export async function runErasures(state: PartitionState, roll: () => Promise<void>): Promise<EraseOutcome> {
  const outcome: EraseOutcome = { segmentsRewritten: 0, recordsDropped: 0 };
  const streams = state.streams!;
  for (const key of streams.metadata.pendingErasures()) {
    await streams.prepare(state.segments);
    if (streams.offsetsOf(key, state.segments).some((offset) => offset >= activeSegment(state).baseOffset)) {
      await roll(); // also waits for appends of the stream accepted before the mark
      await streams.prepare(state.segments);
    }
    const offsets = streams.offsetsOf(key, state.segments);
    const holding = state.segments.slice(0, -1).filter((segment) => offsets.some((offset) => offset >= segment.baseOffset && offset < segment.nextOffset));
    if (holding.length > 0) {
      const rewritten = await rewriteWithout(state, holding, key);
      outcome.segmentsRewritten += rewritten.segments;
      outcome.recordsDropped += rewritten.dropped;
      await streams.prepare(state.segments); // rebuilds the `.keys` of the rewritten segments
    }
    await streams.metadata.markErased(key);
  }
  return outcome;
}

async function rewriteWithout(state: PartitionState, segments: Segment[], key: Buffer): Promise<{ segments: number; dropped: number }> {
  const active = activeSegment(state);
  const result = await runWorker({
    segments: segments.map((segment) => ({ dir: segment.dir, baseOffset: segment.baseOffset, logPath: segment.logPath, sizeBytes: segment.sizeBytes, nextOffset: segment.nextOffset })),
    active: { logPath: active.logPath, baseOffset: active.baseOffset, sizeBytes: active.sizeBytes },
    nowMs: Date.now(),
    deleteRetentionMs: state.config.deleteRetentionMs,
    indexIntervalBytes: state.config.indexIntervalBytes,
    eraseKeys: [key.toString('base64')],
  }, { topic: state.topic, partition: state.partition });
  let dropped = 0;
  for (const cleaned of result.cleaned) {
    const segment = segments.find((candidate) => candidate.baseOffset === cleaned.baseOffset)!;
    await swapInCleanedSegment(state, segment);
    dropped += cleaned.droppedRecords;
  }
  return { segments: result.cleaned.length, dropped };
}
