/**
 * npm run bench:http: the broker's HTTP produce path under autocannon, beside a bare fastify route
 * measured in the same run (target: one-record JSON produce >= 70% of the bare route's requests/s),
 * and records/s of produce with 1000 records per request in JSON, msgpack and raw batch format.
 * The broker runs with flush=never here: this measures the HTTP path, not the disk (bench:storage).
 *
 * The reference and the one-record produce run in turns (bare, broker, bare, broker, ...) and the
 * ratio is the median of the pairs: this machine is shared and its speed changes by tens of percent
 * within a minute, which a single pair of runs would read as the broker's doing.
 * Flags: USAGE below (`--help` prints it).
 */
import { pack } from 'msgpackr';
import { encodeRecordBatch } from '../storage/index.js';
import { startBareFastify } from './lib/bare-fastify-process.js';
import { residentBytes, startBrokerProcess } from './lib/broker-process.js';
import { load, type LoadResult } from './lib/http-load.js';
import { printReport, ratio, type Row } from './lib/report.js';
import { exitOnHelp } from './lib/usage.js';

const USAGE = `Usage: npm run bench:http [-- options]
The broker's HTTP produce path (flush=never) under load: one-record JSON produce beside a bare
fastify route in the same run (target >= 70% of its requests/s), and records/s of 1000-record
requests in JSON, msgpack and raw batch format.

  --seconds N   duration of each run (default 5; --quick: 2)
  --pairs N     reference/broker pairs of one-record runs (default 3; --quick: 1)
  --quick       the shorter defaults above`;
exitOnHelp(USAGE);

const quick = process.argv.includes('--quick');
const numberFlag = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const seconds = numberFlag('--seconds', quick ? 2 : 5);
const pairs = numberFlag('--pairs', quick ? 1 : 3);
const VALUE = 'x'.repeat(100);

const oneRecordJson = JSON.stringify({ records: [{ key: 'k', valueString: VALUE }] });
const thousand = Array.from({ length: 1000 }, (_, i) => ({ key: `k${i % 64}`, valueString: VALUE }));
const json = { 'content-type': 'application/json' };

const bare = await startBareFastify();
const broker = await startBrokerProcess({ flush: 'never' });
await fetch(`${broker.url}/v1/topics`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'bench', partitions: 4 }) });
const produceUrl = `${broker.url}/v1/topics/bench/records`;

const rows: Row[] = [];
const ratios: number[] = [];
const oneRow = (run: string, result: LoadResult, vsReference: number | null): Row => ({
  run,
  'requests/s': result.requestsPerSecond,
  'records/s': run.startsWith('produce') ? result.requestsPerSecond : null,
  'p50 ms': result.latencyP50Ms,
  'p99 ms': result.latencyP99Ms,
  'vs reference': vsReference,
});
for (let pair = 1; pair <= pairs; pair++) {
  const reference = await load({ url: `${bare.url}/echo`, body: oneRecordJson, headers: json, seconds });
  const one = await load({ url: produceUrl, body: oneRecordJson, headers: json, seconds });
  const pairRatio = ratio(one.requestsPerSecond, reference.requestsPerSecond);
  ratios.push(pairRatio);
  rows.push(oneRow(`bare fastify POST (reference), pair ${pair}`, reference, 1));
  rows.push(oneRow(`produce 1 record, JSON, pair ${pair}`, one, pairRatio));
}
await bare.stop();
const sorted = [...ratios].sort((a, b) => a - b);
const oneRatio = (sorted[Math.floor((sorted.length - 1) / 2)]! + sorted[Math.ceil((sorted.length - 1) / 2)]!) / 2; // the median

const batchRuns: Array<[string, string | Buffer, string, string]> = [
  ['produce 1000 records, JSON', JSON.stringify({ records: thousand }), 'application/json', ''],
  ['produce 1000 records, msgpack', pack({ records: thousand }), 'application/x-msgpack', ''],
  ['produce 1000 records, raw batch', encodeRecordBatch(thousand.map((record) => ({ key: Buffer.from(record.key), value: Buffer.from(record.valueString) }))), 'application/vnd.spool.batch', '?partition=0'],
];
for (const [name, body, contentType, query] of batchRuns) {
  const result = await load({ url: produceUrl + query, body, headers: { 'content-type': contentType }, seconds });
  rows.push({ run: name, 'requests/s': result.requestsPerSecond, 'records/s': result.requestsPerSecond * 1000, 'p50 ms': result.latencyP50Ms, 'p99 ms': result.latencyP99Ms, 'vs reference': null });
  if (result.non2xx > 0 || result.errors > 0) console.error(`${name}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
}
const rssBytes = await residentBytes(broker.pid);
await broker.stop();

printReport({
  bench: 'http',
  seconds,
  pairs,
  rows,
  brokerRssMiB: Math.round(rssBytes / 2 ** 20),
  targets: [{ name: `one-record JSON produce vs bare fastify (median of ${pairs} pairs)`, target: '>= 0.70', measured: Number(oneRatio.toFixed(3)), met: oneRatio >= 0.7 }],
});
