/**
 * Runs one async job per item with at most `limit` running at once. For work over every partition
 * (closing them at shutdown or with their topic): each job holds descriptors while it runs (the
 * active segment, an index or snapshot file being written), so starting thousands at once runs the
 * process out of them (EMFILE), while a few at a time already keep the thread pool busy.
 * Every job runs even when one fails; the first failure is thrown once all are done.
 */
import { assert } from './assert.js';

export async function forEachBounded<T>(items: readonly T[], limit: number, job: (item: T) => Promise<void>): Promise<void> {
  assert(Number.isInteger(limit) && limit >= 1, 'limit is a positive integer');
  let next = 0;
  const failures: unknown[] = [];
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await job(item).catch((error: unknown) => {
        failures.push(error);
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failures.length > 0) throw failures[0];
}
