/**
 * The crash loop of `npm run torture:crash`, CI-sized: a broker process under concurrent JSON and
 * raw-batch producers and group commits, SIGKILLed five times on one data directory. Nothing
 * acknowledged may be lost, duplicated or moved; every served batch must pass its CRC; offsets stay
 * contiguous; committed offsets never go back. (Start-up time is reported by the bench, not
 * asserted here: tests hold no timing thresholds.)
 */
import { describe, expect, it } from 'vitest';
import { runCrashLoop } from '../../bench/lib/crash-loop.js';

describe('crash loop (SIGKILL under produce and commits)', () => {
  it('keeps every acknowledged record exactly once at its offset across five kills', async () => {
    const summary = await runCrashLoop({ cycles: 5, loadMsMin: 200, loadMsMax: 800 });
    expect(summary.problems).toEqual([]);
    expect(summary.cycles).toBe(5);
    expect(summary.ackedRecords).toBeGreaterThan(0);
    expect(summary).toMatchObject({ lost: 0, duplicated: 0, badBatches: 0, gaps: 0, committedBackwards: 0, failedRequests: 0 });
  });
});
