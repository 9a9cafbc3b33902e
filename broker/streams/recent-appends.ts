/**
 * Event ids of the appends a partition took lately, in memory: a duplicate of an append (same
 * stream, same event ids, expectedVersion any/exists) that races its original, in one many-stream
 * request or concurrently, is recognised here. The durable lookup (StreamService.findRetry) reads
 * the stream before the synchronous step, so two copies could each find nothing and both be
 * written; claim() is called in that synchronous step, right before the write, so the second copy
 * sees the first. Appends in flight are always kept (their count is bounded by the partition's
 * pending bytes); settled ones up to a bound, the oldest dropped first.
 */
import { createHash } from 'node:crypto';
import type { PartitionLog } from '../../storage/index.js';

/** Where an append's events went: the answer a duplicate of it repeats. */
export interface WrittenAppend {
  firstVersion: number;
  offsets: number[];
}

interface Entry {
  /** The original's outcome: null when it was not written (a duplicate then decides on its own). */
  written: Promise<WrittenAppend | null>;
  settled: boolean;
}

/** This append is the first with its ids: settle() with its outcome once its write answers. */
export interface OriginalClaim {
  settle(written: WrittenAppend | null): void;
}

interface PartitionEntries {
  entries: Map<string, Entry>;
  settled: number;
}

export class RecentAppends {
  private readonly byLog = new WeakMap<PartitionLog, PartitionEntries>();

  constructor(private readonly settledMax: number) {}

  /** Synchronously: the earlier append with these ids in this stream, or this one registered as the original. */
  claim(log: PartitionLog, key: Buffer, ids: readonly string[]): { earlier: Promise<WrittenAppend | null> } | OriginalClaim {
    let partition = this.byLog.get(log);
    if (!partition) this.byLog.set(log, (partition = { entries: new Map(), settled: 0 }));
    const { entries } = partition;
    // A digest, not the ids: an entry costs 32 bytes however many and long its ids (up to 10,000 events an append).
    // JSON keeps ids apart whatever characters they hold; the stream key is latin1 so any bytes round-trip.
    const name = createHash('sha256').update(JSON.stringify([key.toString('latin1'), ...ids])).digest('base64');
    const found = entries.get(name);
    if (found) return { earlier: found.written };
    let settle!: (written: WrittenAppend | null) => void;
    const entry: Entry = { written: new Promise((resolve) => (settle = resolve)), settled: false };
    entries.set(name, entry);
    return {
      settle: (written) => {
        if (entry.settled) return;
        entry.settled = true;
        settle(written);
        // A failed original leaves no trace: a retry of it must be free to write.
        if (written === null) {
          entries.delete(name);
          return;
        }
        partition.settled++;
        this.trim(partition);
      },
    };
  }

  /** Drops the oldest settled entries over the bound (entries in flight stay: their duplicates wait on them). */
  private trim(partition: PartitionEntries): void {
    for (const [name, entry] of partition.entries) {
      if (partition.settled <= this.settledMax) return;
      if (!entry.settled) continue;
      partition.entries.delete(name);
      partition.settled--;
    }
  }
}
