/**
 * The queue store's journal: changes recorded in one turn are committed together and answered
 * after the commit; a queue's state loads the same from the journal as after a fold; folding
 * empties the journal; a deleted queue's unwritten changes never come back; a failed commit
 * rejects its callers. A real SQLite database in a temporary data directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../broker/metadata/database.js';
import { QueueStore } from '../../../broker/queues/queue-store.js';

let dataDir: string;
let db: Database.Database;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'spool-queue-store-'));
  db = openDatabase(dataDir, false, 'test');
});

afterEach(() => {
  if (db.open) db.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function journalRows(): number {
  return (db.prepare('SELECT count(*) AS count FROM queue_journal').get() as { count: number }).count;
}

/** A restart: the database closed and opened again, a new store over it. */
function reopen(checkpointEntriesMax?: number): QueueStore {
  db.close();
  db = openDatabase(dataDir, false, 'test');
  return new QueueStore(db, checkpointEntriesMax);
}

async function leaseAndAck(store: QueueStore): Promise<void> {
  store.save('jobs', 'q', [], [{ partition: 0, ackedThrough: 0, deadLettered: 0 }]);
  await store.record('jobs', 'q', [0, 1, 2, 3].map((offset) => ({ partition: 0, offset, state: 'delivered' as const, deliveryCount: 1 })), []);
  // Out of order: 2 acked ahead of the point; then 0 and 1 move it to 2, and 3 dies.
  await store.record('jobs', 'q', [{ partition: 0, offset: 2, state: 'acked', deliveryCount: 1 }], []);
  await store.record('jobs', 'q', [{ partition: 0, offset: 3, state: 'dead', deliveryCount: 1 }], [{ partition: 0, ackedThrough: 2, deadLettered: 1 }]);
}

describe('queue store journal', () => {
  it('commits the changes of one turn in one journal row and answers after the commit', async () => {
    const store = new QueueStore(db);
    const first = store.record('jobs', 'q', [{ partition: 0, offset: 0, state: 'delivered', deliveryCount: 1 }], []);
    const second = store.record('jobs', 'q', [{ partition: 0, offset: 1, state: 'delivered', deliveryCount: 1 }], []);
    expect(journalRows()).toBe(0);
    await Promise.all([first, second]);
    expect(journalRows()).toBe(1);
  });

  it('loads the journalled state after a restart, the same as after a fold', async () => {
    await leaseAndAck(new QueueStore(db));
    const replayed = reopen().load('jobs', 'q');
    expect(replayed.partitions).toEqual([{ partition: 0, ackedThrough: 2, deadLettered: 1 }]);
    expect(replayed.messages.sort((a, b) => a.offset - b.offset)).toEqual([
      { partition: 0, offset: 2, state: 'acked', deliveryCount: 1 },
      { partition: 0, offset: 3, state: 'dead', deliveryCount: 1 },
    ]);
    // A fold on the next change (limit 1) rewrites the tables and empties the journal.
    const folding = reopen(1);
    folding.load('jobs', 'q');
    await folding.record('jobs', 'q', [{ partition: 0, offset: 4, state: 'delivered', deliveryCount: 1 }], []);
    expect(journalRows()).toBe(0);
    const folded = reopen().load('jobs', 'q');
    expect(folded.partitions).toEqual(replayed.partitions);
    expect(folded.messages.sort((a, b) => a.offset - b.offset)).toEqual([...replayed.messages, { partition: 0, offset: 4, state: 'delivered', deliveryCount: 1 }]);
  });

  it('drops the unwritten changes of a deleted queue', async () => {
    const store = new QueueStore(db);
    store.save('jobs', 'q', [], [{ partition: 0, ackedThrough: 0, deadLettered: 0 }]);
    const recorded = store.record('jobs', 'q', [{ partition: 0, offset: 0, state: 'acked', deliveryCount: 1 }], []);
    store.delete('jobs', 'q');
    await recorded;
    expect(journalRows()).toBe(0);
    expect(store.load('jobs', 'q')).toEqual({ partitions: [], messages: [] });
  });

  it('folds the state it kept while running into the same tables a replay of the journal gives', async () => {
    /** Workers leasing runs of 10 and acking them out of order, the point moving behind them, one message nacked back and leased again. */
    async function run(store: QueueStore): Promise<void> {
      store.save('jobs', 'q', [], [{ partition: 0, ackedThrough: 0, deadLettered: 0 }, { partition: 1, ackedThrough: 0, deadLettered: 0 }]);
      store.load('jobs', 'q');
      for (let round = 0; round < 30; round++) {
        const partition = round % 2;
        const first = Math.floor(round / 2) * 10;
        const offsets = Array.from({ length: 10 }, (_, i) => first + i);
        await store.record('jobs', 'q', offsets.map((offset) => ({ partition, offset, state: 'delivered' as const, deliveryCount: offset === first + 3 ? 2 : 1 })), []);
        // Acked from the back: all but the first ahead of the point, then the first moves it past the run.
        await store.record('jobs', 'q', offsets.slice(1).reverse().map((offset) => ({ partition, offset, state: 'acked' as const, deliveryCount: 1 })), []);
        if (round % 3 !== 2) await store.record('jobs', 'q', [], [{ partition, ackedThrough: first + 10, deadLettered: 0 }]);
      }
    }
    const sorted = (state: ReturnType<QueueStore['load']>) => ({
      partitions: [...state.partitions].sort((a, b) => a.partition - b.partition),
      messages: [...state.messages].sort((a, b) => a.partition - b.partition || a.offset - b.offset),
    });
    await run(new QueueStore(db));
    const replayed = sorted(reopen().load('jobs', 'q'));
    expect(replayed.messages.length).toBeGreaterThan(0);
    db.exec('DELETE FROM queue_journal; DELETE FROM queue_messages; DELETE FROM queue_partitions');
    // Folding every 25 changes: each fold writes the kept state, not a read of the journal.
    await run(reopen(25));
    expect(sorted(reopen().load('jobs', 'q'))).toEqual(replayed);
  });

  it('rejects every caller of a turn whose commit failed, and writes none of it', async () => {
    const store = new QueueStore(db);
    db.exec("CREATE TRIGGER refuse BEFORE INSERT ON queue_journal BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    const results = await Promise.allSettled([
      store.record('jobs', 'q', [{ partition: 0, offset: 0, state: 'acked', deliveryCount: 1 }], []),
      store.record('jobs', 'other', [{ partition: 0, offset: 0, state: 'acked', deliveryCount: 1 }], []),
    ]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    db.exec('DROP TRIGGER refuse');
    expect(journalRows()).toBe(0);
  });
});
