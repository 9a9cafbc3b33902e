/**
 * The stream cleaner (docs/event-sourcing.md "Metadata and soft deletes", docs/storage.md "Stream
 * version base"): removes from the disk the events a stream's metadata hides (maxCount, maxAgeMs,
 * truncateBefore, a soft delete), without renumbering the events left. Part of each cleaner pass
 * over a stream topic's partition (log/cleaner.ts), after any erase pass (they rewrite the same
 * segments, so PartitionLog runs them one at a time):
 *
 *   1. base     for each stream with settings whose hidden prefix still holds at least
 *               `minHiddenEvents` records, the stream's version base moves up past them, durably
 *               (one synced line of the metadata journal): from then on those records are
 *               invisible, whether still on disk or not, and every later record keeps its version;
 *   2. drop     the records below each base still marked `removing` are dropped from the sealed
 *               segments holding them, in one worker pass (drop-records.ts: crash-safe swap,
 *               `.keys` rebuilt);
 *   3. done     a base's `removing` mark is cleared once no record of its stream is left below it;
 *               records still in the active segment keep it until a pass after the segment rolls.
 *
 * Each stream's lookups are one turn of the event loop (they read the sealed segments' `.keys`
 * synchronously, as conditional appends do), so a partition with thousands of streams with
 * metadata never holds the loop for the whole pass.
 *
 * A crash after 1 leaves the versions right (the base is durable, the records below it are
 * invisible); the next open sees a base still `removing` and runs 2 and 3 again (so does an open
 * after a clean shutdown that left some in the active segment: in the background).
 */
import type { PartitionLog } from '../log/partition-log.js';
import type { PartitionState } from '../log/partition-state.js';
import type { Segment } from '../log/segment.js';
import { streamView } from '../streams/stream-visibility.js';
import type { DropKey } from './compactor.js';
import { type DropOutcome, dropRecords, sealedSegmentsHolding } from './drop-records.js';

export interface StreamCleaningOutcome extends DropOutcome {
  /** Streams whose version base moved up in this pass. */
  streamsRebased: number;
}

/** One pass; `minHiddenEvents` Infinity only finishes what an interrupted pass left (step 2 and 3). */
export async function cleanStreams(log: PartitionLog, state: PartitionState, nowMs: number, minHiddenEvents: number): Promise<StreamCleaningOutcome> {
  const streams = state.streams!;
  let streamsRebased = 0;
  if (Number.isFinite(minHiddenEvents)) {
    for (const [keyString] of streams.metadata.streamsWithSettings()) {
      if (await rebase(log, keyString, nowMs, Math.max(1, minHiddenEvents))) streamsRebased++;
      await nextTurn();
    }
  }
  const dropped = await dropBelowBases(state);
  for (const [keyString, base] of streams.metadata.streamsWithBase()) {
    if (!base.removing) continue;
    await streams.prepare(state.segments);
    const first = streams.offsetsOf(Buffer.from(keyString, 'latin1'), state.segments)[0];
    if (first === undefined || first >= base.offset) await streams.metadata.baseRemoved(keyString);
    await nextTurn();
  }
  return { streamsRebased, ...dropped };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Moves the stream's base past its hidden prefix when that holds at least `minHidden` records. */
async function rebase(log: PartitionLog, keyString: string, nowMs: number, minHidden: number): Promise<boolean> {
  const view = await streamView(log, Buffer.from(keyString, 'latin1'), nowMs);
  const hidden = view.visibleFrom - view.firstVersion;
  if (hidden < minHidden) return false;
  // The offset after the last hidden record: the key's next record there or above is the first visible version.
  await log.streamMetadata.setBase(keyString, { version: view.visibleFrom, offset: view.offsets[hidden - 1]! + 1 });
  return true;
}

/** Drops the records below each base still `removing` from the sealed segments, in one worker pass. */
async function dropBelowBases(state: PartitionState): Promise<DropOutcome> {
  const streams = state.streams!;
  const bases = streams.metadata.streamsWithBase().filter(([, base]) => base.removing);
  if (bases.length === 0) return { segmentsRewritten: 0, recordsDropped: 0 };
  const drop: DropKey[] = [];
  const holding = new Set<Segment>();
  for (const [keyString, base] of bases) {
    await streams.prepare(state.segments);
    const key = Buffer.from(keyString, 'latin1');
    const below = streams.offsetsOf(key, state.segments).filter((offset) => offset < base.offset);
    const segments = sealedSegmentsHolding(state, below);
    if (segments.length === 0) continue;
    drop.push({ key: key.toString('base64'), belowOffset: base.offset });
    for (const segment of segments) holding.add(segment);
    await nextTurn();
  }
  return dropRecords(state, state.segments.filter((segment) => holding.has(segment)), drop);
}
