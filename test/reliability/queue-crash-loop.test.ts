/**
 * The queue crash loop of `npm run torture:crash -- --mode queue`, CI-sized: work queues under
 * producers and workers (ack, nack, reject), the broker SIGKILLed three times on one data directory,
 * in both durability tiers. A message whose ack was answered is never delivered again, an answered
 * reject is in the dead-letter topic, and after a drain nothing produced is missing.
 */
import { describe, expect, it } from 'vitest';
import { runQueueCrashLoop } from '../../bench/lib/queue-crash-loop.js';

describe('queue crash loop (SIGKILL under receive, ack, nack and reject)', () => {
  for (const flush of ['always', 'never']) {
    it(`settles every answered ack once and loses nothing across three kills (flush=${flush})`, async () => {
      const summary = await runQueueCrashLoop({ cycles: 3, flush, loadMsMin: 200, loadMsMax: 700 });
      expect(summary.problems).toEqual([]);
      expect(summary.cycles).toBe(3);
      expect(summary.acked).toBeGreaterThan(0);
      expect(summary).toMatchObject({ deliveredAfterAck: 0, rejectsMissing: 0, lost: 0, failedRequests: 0 });
      // Five broker starts: 37-42 s of the default 60 s in a full run at load average 20.
    }, 120_000);
  }
});
