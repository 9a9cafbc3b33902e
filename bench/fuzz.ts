/**
 * npm run fuzz (flags: USAGE below, `--help` prints it): mutated and hostile requests against
 * every route of a broker in its own process (bench/lib/fuzz-requests.ts), each answer checked
 * (bench/lib/fuzz-run.ts): no crash, no 5xx, every 4xx a registered SPOOL_ERR_* code, the log and
 * group offsets unchanged after every rejected request, anything accepted readable. Prints a table
 * of answers and one JSON line; exits 1 on any failure, printing the requests that failed.
 */
import { parseArgs } from 'node:util';
import { startBrokerProcess } from './lib/broker-process.js';
import { runFuzz, setupFuzzFixture } from './lib/fuzz-run.js';
import { printReport } from './lib/report.js';
import { exitOnHelp } from './lib/usage.js';

const USAGE = `Usage: npm run fuzz [-- options]
Mutated and hostile requests against every route of a broker in its own process: no crash, no 5xx,
every 4xx a registered SPOOL_ERR_* code, nothing rejected touches the log. Exits 1 on any failure.

  --runs N      requests to send (default 20000)
  --seconds S   stop after this long even if the runs are not all sent (default 120)
  --seed X      fast-check's seed, to replay a run (default: from the clock, printed)`;
exitOnHelp(USAGE);

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '20000' }, seconds: { type: 'string', default: '120' }, seed: { type: 'string' } },
});
const broker = await startBrokerProcess({ flush: 'never' });
let crashed = false;
let stopping = false;
broker.child.once('exit', () => {
  crashed = !stopping; // the broker exits on its own only if it crashed
});
const fixture = await setupFuzzFixture(broker.url);
const started = performance.now();
const outcome = await runFuzz({
  url: broker.url,
  fixture,
  runs: Number(values.runs),
  seconds: Number(values.seconds),
  ...(values.seed ? { seed: Number(values.seed) } : {}),
});
const seconds = (performance.now() - started) / 1000;
stopping = true;
if (!crashed) await broker.stop();
printReport({
  bench: 'fuzz',
  rows: Object.entries(outcome.statuses)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([status, count]) => ({ status: Number(status), requests: count })),
  ...outcome,
  seconds: Math.round(seconds),
  requestsPerSecond: Math.round(outcome.runs / seconds),
  crashed,
  passed: outcome.failures.length === 0 && !crashed,
});
for (const failure of outcome.failures) console.error(`FAILED: ${failure.problem}\n  ${JSON.stringify(failure.request)}`);
process.exitCode = outcome.failures.length === 0 && !crashed ? 0 : 1;
