/**
 * Concurrent conditional writers (issue 18): each writer reads its stream's version, then appends
 * expecting it. fast-check's scheduler decides the interleaving of every read and append; whatever
 * the order, each stream's versions are contiguous, each version is won by exactly one append, and
 * every loser is told the version the stream really had.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../../storage/codec/record-batch.js';
import type { StreamAppendRequest } from '../../../storage/log/stream-appends.js';
import { useTempLogs } from '../support/temp-logs.js';

const logs = useTempLogs('streams-concurrent');

interface Outcome {
  stream: string;
  writer: number;
  expected: number;
  won: { first: number; last: number } | null;
  actualVersion?: number;
}

/** A one-partition stream topic with small segments (rolls during the run), and its streams' versions. */
async function openStreamTopic(name: string) {
  const [log] = await logs.manager.openTopic(name, 1, { streamIndex: true, segmentBytes: 1024, flush: 'never' });
  const versionOf = async (stream: string) => {
    const { offsets, firstVersion } = await log!.streamOffsets(Buffer.from(stream));
    return firstVersion + offsets.length - 1;
  };
  return { log: log!, versionOf };
}

/**
 * Every stream's wins tile 0..its final version without gap or overlap (each version won once), a
 * winner expected exactly the version before its first event, and a loser was told a version the
 * stream really passed through (a win ended there; -1 before any when `losersBehind` is false),
 * past the one it expected when `losersBehind`.
 */
async function checkOutcomes(outcomes: Outcome[], versionOf: (stream: string) => Promise<number>, { losersBehind }: { losersBehind: boolean }): Promise<void> {
  for (const stream of new Set(outcomes.map((outcome) => outcome.stream))) {
    const mine = outcomes.filter((outcome) => outcome.stream === stream);
    const wins = mine.filter((outcome) => outcome.won).map((outcome) => outcome.won!).sort((a, b) => a.first - b.first);
    let next = 0;
    for (const win of wins) {
      expect(win.first).toBe(next);
      next = win.last + 1;
    }
    expect(await versionOf(stream)).toBe(next - 1);
    for (const outcome of mine.filter((candidate) => candidate.won)) expect(outcome.won!.first).toBe(outcome.expected + 1);
    for (const loser of mine.filter((outcome) => !outcome.won)) {
      expect(loser.actualVersion).not.toBe(loser.expected);
      if (losersBehind) expect(loser.actualVersion).toBeGreaterThan(loser.expected);
      expect((!losersBehind && loser.actualVersion === -1) || wins.some((win) => win.last === loser.actualVersion)).toBe(true);
    }
  }
}

describe('concurrent conditional writers', () => {
  it('exactly one writer wins each version; losers learn the actual version', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.record({ stream: fc.integer({ min: 0, max: 2 }), events: fc.integer({ min: 1, max: 3 }), attempts: fc.integer({ min: 1, max: 3 }), stale: fc.integer({ min: 0, max: 1 }) }), { minLength: 2, maxLength: 8 }),
        async (scheduler, writers) => {
          const { log, versionOf } = await openStreamTopic(`t${run++}`);
          const outcomes: Outcome[] = [];
          const work = writers.map(async (writer, index) => {
            const stream = `s${writer.stream}`;
            for (let attempt = 0; attempt < writer.attempts; attempt++) {
              // The scheduler picks when each read and each append starts: the interleaving.
              await scheduler.schedule(Promise.resolve(), `w${index} reads ${stream}`);
              // A stale writer expects a version before the one it read, as one that read long ago would.
              const expected = Math.max(-1, (await versionOf(stream)) - writer.stale);
              const batch = encodeRecordBatch(Array.from({ length: writer.events }, (_, i) => ({ key: Buffer.from(stream), value: Buffer.from(`w${index}-${attempt}-${i}`) })));
              const key = Buffer.from(stream);
              await scheduler.schedule(Promise.resolve(), `w${index} appends to ${stream} at ${expected}`);
              const outcome: Outcome = { stream, writer: index, expected, won: null };
              try {
                outcome.won = (await log.append(batch, { stream: { key, expectedVersion: expected < 0 ? 'no_stream' : expected } })).streamVersions!;
              } catch (error) {
                const { code, context } = error as { code: string; context: { actualVersion: number } };
                expect(code).toBe('SPOOL_ERR_WRONG_EXPECTED_VERSION');
                outcome.actualVersion = context.actualVersion;
              }
              outcomes.push(outcome);
            }
          });
          await scheduler.waitFor(Promise.all(work));
          await checkOutcomes(outcomes, versionOf, { losersBehind: true });
          await logs.manager.deleteTopic(`t${run - 1}`);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('many-stream appends (appendStreams) interleaved with each other: still one winner per version, in-call appends seeing each other', async () => {
    let run = 0;
    // chained: the append expects its request's earlier appends to the stream to have been written; else it expects what was read, as they do.
    const append = fc.record({ stream: fc.integer({ min: 0, max: 2 }), events: fc.integer({ min: 1, max: 3 }), stale: fc.integer({ min: 0, max: 1 }), chained: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(fc.array(append, { minLength: 1, maxLength: 4 }), { minLength: 2, maxLength: 6 }), async (scheduler, requests) => {
        const { log, versionOf } = await openStreamTopic(`m${run++}`);
        const outcomes: Outcome[] = [];
        const work = requests.map(async (appends, writer) => {
          await scheduler.schedule(Promise.resolve(), `r${writer} reads`);
          // Each append expects what its writer read, plus the events of its request's earlier appends to the same stream.
          const ahead = new Map<string, number>();
          const asked: Array<{ stream: string; expected: number; request: StreamAppendRequest }> = [];
          for (const [index, { stream: n, events, stale, chained }] of appends.entries()) {
            const stream = `s${n}`;
            const expected = Math.max(-1, (await versionOf(stream)) - stale) + (chained ? (ahead.get(stream) ?? 0) : 0);
            ahead.set(stream, (ahead.get(stream) ?? 0) + events);
            const records = Array.from({ length: events }, (_, i) => ({ key: Buffer.from(stream), value: Buffer.from(`r${writer}-${index}-${i}`) }));
            asked.push({ stream, expected, request: { key: Buffer.from(stream), expectedVersion: expected < 0 ? ('no_stream' as const) : expected, records } });
          }
          await scheduler.schedule(Promise.resolve(), `r${writer} appends`);
          const { outcomes: answered } = await log.appendStreams(asked.map((item) => item.request));
          answered.forEach((outcome, index) => {
            const { stream, expected } = asked[index]!;
            if ('error' in outcome) {
              expect(outcome.error.code).toBe('SPOOL_ERR_WRONG_EXPECTED_VERSION');
              outcomes.push({ stream, writer, expected, won: null, actualVersion: outcome.error.context.actualVersion as number });
            } else {
              outcomes.push({ stream, writer, expected, won: { first: outcome.firstVersion, last: outcome.firstVersion + outcome.offsets.length - 1 } });
            }
          });
        });
        await scheduler.waitFor(Promise.all(work));
        // Within a request a loser may expect past the stream's end (an earlier append of its own was refused).
        await checkOutcomes(outcomes, versionOf, { losersBehind: false });
        await logs.manager.deleteTopic(`m${run - 1}`);
      }),
      { numRuns: 60 },
    );
  });
});
