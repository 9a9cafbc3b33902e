/**
 * Conditional stream appends under SIGKILL (issue 18): after every restart, each acknowledged event
 * is in its stream at its acknowledged version, and the stream index agrees with a full scan of
 * the log (bench/lib/stream-crash-loop.ts).
 */
import { describe, expect, it } from 'vitest';
import { runStreamCrashLoop } from '../../bench/lib/stream-crash-loop.js';

describe('stream crash loop (SIGKILL under conditional appends)', () => {
  it('keeps every acknowledged event at its version, and the index equal to a scan, across four kills', async () => {
    const summary = await runStreamCrashLoop({ cycles: 4 });
    expect(summary.problems).toEqual([]);
    expect(summary.cycles).toBe(4);
    expect(summary.acknowledgedEvents).toBeGreaterThan(0);
    expect(summary.conflicts).toBeGreaterThan(0);
  }, 180_000);
});
