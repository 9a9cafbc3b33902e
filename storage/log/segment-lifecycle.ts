/**
 * Removing and replacing sealed segments under live readers (retention and compaction).
 *
 * A reader leases a segment's descriptor before it reads; a removed or replaced segment keeps its
 * descriptor, and so its original bytes, until the last lease is released. Each step below first
 * takes a lease itself, so that every reader racing with the change shares a descriptor opened
 * on the original file, never one opened on a renamed or replacement path.
 *
 * Retention:  rename to `.deleted` (the decision survives a crash), drop from the segment list,
 *             unlink once unleased.
 * Compaction: the cleaner wrote and synced `<base>.*.cleaned`. Rename the indexes, then the log, to
 *             `.swap` (the `.log.swap` rename is the commit point: recovery finishes a swap that
 *             has it, and discards one that does not), then rename each over the live file, then
 *             swap the Segment object in the list. Offsets are preserved: the cleaned segment
 *             keeps its base offset and its extent up to the next segment.
 */
import { assert } from '../assert.js';
import { ioError } from '../errors.js';
import { activeSegment, type PartitionState } from './partition-state.js';
import { Segment } from './segment.js';
import { keysPathOf } from '../streams/stream-index.js';
import { CLEANED_SUFFIX, DELETED_SUFFIX, SWAP_SUFFIX } from './segment-files.js';

function pathsOf(segment: Segment): string[] {
  return [segment.indexPath, segment.timeIndexPath, segment.logPath];
}

/** Retention also removes the segment's stream index (compaction leaves it: a stale one is rebuilt). */
function deletedPathsOf(segment: Segment): string[] {
  return [keysPathOf(segment), ...pathsOf(segment)];
}

async function rename(state: PartitionState, from: string, to: string): Promise<void> {
  await state.fs.rename(from, to).catch((error: unknown) => {
    throw ioError(error, 'rename', from, { to });
  });
}

/** Deletes the oldest `count` segments (never the active one); returns them. */
export async function deleteOldestSegments(state: PartitionState, count: number): Promise<Segment[]> {
  assert(count >= 0, 'count is not negative');
  assert(count < state.segments.length, 'retention never deletes the active segment');
  const removed: Segment[] = [];
  for (let i = 0; i < count; i++) {
    const segment = state.segments[0]!;
    const lease = await state.cache.acquire(segment);
    try {
      assert(state.segments[0] === segment, 'segments change only through the cleaner and the writer');
      const present: string[] = [];
      for (const path of deletedPathsOf(segment)) {
        if (!(await state.fs.stat(path))) continue;
        await rename(state, path, path + DELETED_SUFFIX);
        present.push(path);
      }
      state.segments.shift();
      state.cache.retire(segment, async () => {
        for (const path of present) await state.fs.unlink(path + DELETED_SUFFIX);
      });
      removed.push(segment);
    } finally {
      lease.release();
    }
  }
  if (removed.length > 0) await state.fs.fsyncDirectory(state.dir);
  return removed;
}

/**
 * Replaces a sealed segment with its cleaned files (written and synced by the cleaner). When the
 * segment is no longer a sealed segment of the log, the cleaned files are discarded and null returned.
 */
export async function swapInCleanedSegment(state: PartitionState, old: Segment): Promise<Segment | null> {
  const { fs, cache } = state;
  if (!state.segments.includes(old) || old === activeSegment(state)) {
    for (const path of pathsOf(old)) await fs.unlink(path + CLEANED_SUFFIX);
    return null;
  }
  const lease = await cache.acquire(old);
  try {
    for (const path of pathsOf(old)) await rename(state, path + CLEANED_SUFFIX, path + SWAP_SUFFIX);
    await fs.fsyncDirectory(state.dir);
    for (const path of pathsOf(old).reverse()) await rename(state, path + SWAP_SUFFIX, path);
    await fs.fsyncDirectory(state.dir);
    const stat = await fs.stat(old.logPath);
    const fresh = new Segment(state.dir, old.baseOffset, { sizeBytes: stat?.size ?? 0, nextOffset: old.nextOffset, writable: false });
    const at = state.segments.indexOf(old);
    assert(at >= 0, 'the swapped segment is still in the log');
    state.segments[at] = fresh;
    cache.retire(old, async () => {});
    return fresh;
  } finally {
    lease.release();
  }
}
