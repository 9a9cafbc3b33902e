/**
 * npm run bench:groups: offset commits per second with 1000 groups committing concurrently, against
 * a broker in its own process with flush=always (SQLite synchronous=FULL), beside the GET /health
 * of a fresh broker measured in the same run. Target: >= 20,000 commits/s.
 *
 * Each request commits one partition's offset for one of 1000 groups (a "simple" commit, no
 * member), spread over 100 connections, so many groups commit in every turn of the event loop and
 * share one SQLite transaction. Flags: USAGE below (`--help` prints it).
 */
import autocannon from 'autocannon';
import { startBrokerProcess } from './lib/broker-process.js';
import { printReport, ratio } from './lib/report.js';
import { exitOnHelp } from './lib/usage.js';

const USAGE = `Usage: npm run bench:groups [-- options]
Offset commits per second, 1000 groups over 100 connections, against a broker in its own process
(flush=always), beside its GET /health measured in the same run. Target: >= 20,000 commits/s.

  --quick   3 s runs (default 10 s)`;
exitOnHelp(USAGE);

const quick = process.argv.includes('--quick');
const seconds = quick ? 3 : 10;
const GROUPS = 1000;
const CONNECTIONS = 100;

const broker = await startBrokerProcess({ flush: 'always' });
await fetch(`${broker.url}/v1/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'commits', partitions: 8 }) });
await fetch(`${broker.url}/v1/topics/commits/records`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ records: Array.from({ length: 800 }, (_, i) => ({ value: i, partition: i % 8 })) }),
});

let counter = 0;
const result = await autocannon({
  url: broker.url,
  connections: CONNECTIONS,
  duration: seconds,
  requests: [
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      setupRequest: (request) => {
        const n = counter++;
        const group = `group-${n % GROUPS}`;
        return { ...request, path: `/v1/groups/${group}/offsets`, body: JSON.stringify({ offsets: [{ topic: 'commits', partition: n % 8, offset: n % 100 }] }) };
      },
    },
  ],
});
const groups = (await (await fetch(`${broker.url}/v1/groups`)).json()) as { groups: unknown[] };
await broker.stop();

const health = await startBrokerProcess({ flush: 'always' });
const reference = await autocannon({ url: `${health.url}/health`, connections: CONNECTIONS, duration: seconds });
await health.stop();

const commitsPerSecond = result.non2xx === 0 ? result.requests.average : result.requests.average * (1 - result.non2xx / Math.max(1, result.requests.total));
printReport({
  bench: 'groups',
  seconds,
  rows: [
    { run: 'broker GET /health (reference)', 'requests/s': reference.requests.average, 'p50 ms': reference.latency.p50, 'p99 ms': reference.latency.p99 },
    { run: `commit, ${GROUPS} groups, ${CONNECTIONS} connections`, 'requests/s': commitsPerSecond, 'p50 ms': result.latency.p50, 'p99 ms': result.latency.p99 },
  ],
  groupsKnown: groups.groups.length,
  non2xx: result.non2xx,
  targets: [{ name: 'commits/s with 1000 groups', target: '>= 20000', measured: Math.round(commitsPerSecond), met: commitsPerSecond >= 20_000, vsReference: Number(ratio(commitsPerSecond, reference.requests.average).toFixed(3)) }],
});
