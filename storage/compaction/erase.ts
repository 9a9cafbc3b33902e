/**
 * Erasing streams (GDPR, docs/event-sourcing.md "Erase"): every record of an erased stream is
 * removed from every segment by the compaction machinery, in a worker thread. Each segment holding
 * some of them is rewritten without them (other records keep their offsets and bytes; a Kafka
 * consumer sees the erased offsets skipped, as after compaction) and swapped in through the same
 * crash-safe steps as a compacted one (segment-lifecycle.ts). The active segment is sealed first,
 * since only sealed segments are rewritten. Then the rewritten segments' `.keys` files, which name
 * the stream, are rebuilt from their new logs.
 *
 * Copies of the records in the dead-letter topics of queues on the stream topic (appended before the
 * erasure) are removed too (eraseKeyEverywhere, called through the broker's CopyEraser) before
 * the stream is marked done, so erasePending stays true until they are gone.
 *
 * The stream was marked erased (durably) before: its id is refused for writes from then on, so no
 * record of it can arrive behind the worker. A pass interrupted by a crash is run again at the
 * next open (the mark keeps the id until the pass has finished); a segment already rewritten then
 * holds nothing of the stream and is left alone.
 */
import type { PartitionState } from '../log/partition-state.js';
import { activeSegment } from '../log/partition-state.js';
import { scanSegmentKeys } from '../streams/segment-key-scan.js';
import { type DropOutcome, dropRecords, sealedSegmentsHolding } from './drop-records.js';

export type EraseOutcome = DropOutcome;

/**
 * Removes the copies of an erased stream's records kept in other topics (the dead-letter topics of
 * the queues on the stream topic): given by the broker, which knows the queues. Throws when it
 * cannot do it yet; the stream stays pending and the pass runs again.
 */
export type CopyEraser = (key: Buffer) => Promise<void>;

/**
 * Removes the records of every stream marked erased and not yet done, then their copies
 * (`eraseCopies`), and only then marks each done; `roll` seals the active segment.
 */
export async function runErasures(state: PartitionState, roll: () => Promise<void>, eraseCopies?: CopyEraser): Promise<EraseOutcome> {
  const outcome: EraseOutcome = { segmentsRewritten: 0, recordsDropped: 0 };
  const streams = state.streams!;
  for (const key of streams.metadata.pendingErasures()) {
    await streams.prepare(state.segments);
    if (streams.offsetsOf(key, state.segments).some((offset) => offset >= activeSegment(state).baseOffset)) {
      await roll(); // also waits for appends of the stream accepted before the mark
      await streams.prepare(state.segments);
    }
    const holding = sealedSegmentsHolding(state, streams.offsetsOf(key, state.segments));
    const dropped = await dropRecords(state, holding, [{ key: key.toString('base64'), belowOffset: null }]);
    outcome.segmentsRewritten += dropped.segmentsRewritten;
    outcome.recordsDropped += dropped.recordsDropped;
    await eraseCopies?.(key);
    await streams.metadata.markErased(key);
  }
  return outcome;
}

/**
 * Removes every record with `key` from a partition without a stream index (a dead-letter topic
 * holding copies of an erased stream's events): the active segment is sealed first when it holds
 * one, then every sealed segment is scanned in the worker and those holding the key rewritten.
 */
export async function eraseKeyEverywhere(state: PartitionState, key: Buffer, roll: () => Promise<void>): Promise<EraseOutcome> {
  let inActive = false;
  await scanSegmentKeys(state.fs, activeSegment(state), (found) => {
    inActive ||= found.equals(key);
  });
  if (inActive) await roll();
  return dropRecords(state, state.segments.slice(0, -1), [{ key: key.toString('base64'), belowOffset: null }]);
}
