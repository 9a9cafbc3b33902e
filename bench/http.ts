/**
 * npm run bench:http: the broker's HTTP produce path under autocannon, beside a bare fastify route
 * measured in the same run (target: one-record JSON produce >= 70% of the bare route's requests/s),
 * and records/s of produce with 1000 records per request in JSON, msgpack and raw batch format.
 * The broker runs with flush=never here: this measures the HTTP path, not the disk (bench:storage).
 *
 *   --seconds N   duration of each run (default 10; --quick: 3)
 */
import { pack } from 'msgpackr';
import { encodeRecordBatch } from '../storage/index.js';
import { startBareFastify } from './lib/bare-fastify-process.js';
import { residentBytes, startBrokerProcess } from './lib/broker-process.js';
import { load } from './lib/http-load.js';
import { printReport, ratio, type Row } from './lib/report.js';

const quick = process.argv.includes('--quick');
const secondsFlag = process.argv.indexOf('--seconds');
const seconds = secondsFlag > 0 ? Number(process.argv[secondsFlag + 1]) : quick ? 3 : 10;
const VALUE = 'x'.repeat(100);

const oneRecordJson = JSON.stringify({ records: [{ key: 'k', valueString: VALUE }] });
const thousand = Array.from({ length: 1000 }, (_, i) => ({ key: `k${i % 64}`, valueString: VALUE }));

const rows: Row[] = [];
const bare = await startBareFastify();
const reference = await load({ url: `${bare.url}/echo`, body: oneRecordJson, headers: { 'content-type': 'application/json' }, seconds });
await bare.stop();
rows.push({ run: 'bare fastify POST (reference)', 'requests/s': reference.requestsPerSecond, 'records/s': null, 'p50 ms': reference.latencyP50Ms, 'p99 ms': reference.latencyP99Ms, 'vs reference': 1 });

const broker = await startBrokerProcess({ flush: 'never' });
await fetch(`${broker.url}/v1/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench', partitions: 4 }) });
const produceUrl = `${broker.url}/v1/topics/bench/records`;
const one = await load({ url: produceUrl, body: oneRecordJson, headers: { 'content-type': 'application/json' }, seconds });
rows.push({ run: 'produce 1 record, JSON', 'requests/s': one.requestsPerSecond, 'records/s': one.requestsPerSecond, 'p50 ms': one.latencyP50Ms, 'p99 ms': one.latencyP99Ms, 'vs reference': ratio(one.requestsPerSecond, reference.requestsPerSecond) });

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

const oneRatio = ratio(one.requestsPerSecond, reference.requestsPerSecond);
printReport({
  bench: 'http',
  seconds,
  rows,
  brokerRssMiB: Math.round(rssBytes / 2 ** 20),
  targets: [{ name: 'one-record JSON produce vs bare fastify', target: '>= 0.70', measured: Number(oneRatio.toFixed(3)), met: oneRatio >= 0.7 }],
});
