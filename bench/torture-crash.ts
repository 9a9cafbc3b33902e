/**
 * npm run torture:crash (flags: USAGE below, `--help` prints it): SIGKILL a broker under concurrent
 * produce and group commits, N times on one data directory, and check after every restart that nothing
 * acknowledged was lost, duplicated or moved, that every batch's CRC holds, that offsets are
 * contiguous and committed offsets never go back (see bench/lib/crash-loop.ts). Prints a table and
 * one JSON line; exits 1 when any check failed.
 *
 * `--mode queue`: work queues instead (bench/lib/queue-crash-loop.ts): every
 * answered ack settled once (never delivered again), every answered reject dead-lettered, nothing
 * produced lost.
 */
import { parseArgs } from 'node:util';
import { runCrashLoop } from './lib/crash-loop.js';
import { runQueueCrashLoop } from './lib/queue-crash-loop.js';
import { printReport } from './lib/report.js';
import { exitOnHelp } from './lib/usage.js';

const USAGE = `Usage: npm run torture:crash [-- options]
SIGKILL a broker under concurrent load, over and over on one data directory, checking after every
restart that nothing acknowledged was lost, duplicated or moved. Exits 1 when any check failed.

  --cycles N         kill/restart cycles (default 200)
  --mode log|queue   log: produce and group commits (default); queue: work queues, every answered
                     ack settled once, every answered reject dead-lettered, nothing produced lost
  --partitions N     partitions produced to, log mode (default 4)
  --flush MODE       the broker's --flush in queue mode: always or never (default always)
  --quiet            print only the cycles with problems`;
exitOnHelp(USAGE);

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '200' },
    partitions: { type: 'string', default: '4' },
    quiet: { type: 'boolean', default: false },
    mode: { type: 'string', default: 'log' },
    flush: { type: 'string', default: 'always' },
  },
});
const cycles = Number(values.cycles);
const started = performance.now();
if (values.mode === 'queue') {
  const summary = await runQueueCrashLoop({
    cycles,
    flush: values.flush,
    onCycle: (report) => {
      if (values.quiet && report.problems.length === 0) return;
      console.error(`cycle ${report.cycle}: ${report.produced} produced, ${report.acked} acked in all${report.problems.length ? `, PROBLEMS: ${report.problems.join('; ')}` : ''}`);
    },
  });
  const failures = summary.deliveredAfterAck + summary.rejectsMissing + summary.lost + summary.failedRequests;
  const { problems, ...counts } = summary;
  printReport({ bench: 'torture-crash-queue', seconds: Math.round((performance.now() - started) / 1000), rows: [counts], problems, passed: failures === 0 });
  if (problems.length > 0) console.error(problems.join('\n'));
  process.exit(failures === 0 ? 0 : 1);
}
const summary = await runCrashLoop({
  cycles,
  partitions: Number(values.partitions),
  onCycle: (report) => {
    if (values.quiet && report.problems.length === 0) return;
    console.error(`cycle ${report.cycle}: ready in ${report.startupMs} ms, ${report.ackedThisCycle} acknowledged (${report.ackedTotal} in all)${report.problems.length ? `, PROBLEMS: ${report.problems.join('; ')}` : ''}`);
  },
});
const seconds = (performance.now() - started) / 1000;
const sorted = [...summary.startupMs].sort((a, b) => a - b);
const failures = summary.lost + summary.duplicated + summary.badBatches + summary.gaps + summary.committedBackwards + summary.failedRequests;
printReport({
  bench: 'torture-crash',
  seconds: Math.round(seconds),
  rows: [
    {
      cycles: summary.cycles,
      'acked records': summary.ackedRecords,
      lost: summary.lost,
      duplicated: summary.duplicated,
      'bad batches': summary.badBatches,
      gaps: summary.gaps,
      'commits back': summary.committedBackwards,
      'failed requests': summary.failedRequests,
      'startup p50 ms': sorted[Math.floor(sorted.length / 2)] ?? 0,
      'max startup ms': summary.maxStartupMs,
      'starts > 2 s': summary.slowStarts,
      'kills in start-up': summary.startupKills,
    },
  ],
  ...summary,
  startupMs: undefined,
  startupP50Ms: sorted[Math.floor(sorted.length / 2)] ?? 0,
  passed: failures === 0 && summary.slowStarts === 0,
});
if (summary.problems.length > 0) console.error(summary.problems.join('\n'));
process.exitCode = failures === 0 ? 0 : 1;
