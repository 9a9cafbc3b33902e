/**
 * npm run bench:latency-stages: where the time of bench:compare's W2@10k goes, stage by stage
 * (bench/latency/stages.ts draws the stages). The same run as W2@10k for Spool: 100-byte records
 * at a fixed 10,000 records/s to one partition (open loop, from each record's scheduled time),
 * the producer on the main thread, a group consumer in a worker thread, the broker in its own
 * process with bench/latency/broker-probe.ts preloaded to note when each request passes each mark.
 * Client marks come from undici's diagnostics channels; broker times are moved to this process's
 * clock by an offset measured with 200 sync requests (its bound is printed).
 * Flags: USAGE below (`--help` prints it).
 */
import { subscribe } from 'node:diagnostics_channel';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { request } from 'undici';
import { Spool } from '../client/index.js';
import { LatencyRecorder } from './compare/histogram.js';
import { clockMs, readStamp } from './compare/payload.js';
import { produceAtRate } from './compare/produce.js';
import { producerOptions } from './compare/spool-driver.js';
import type { ConsumerMarks } from './latency/consumer-probe.js';
import { clockOffsetMs, type ProducerMarks, STAGES, stageSummaries } from './latency/stages.js';
import { type BrokerTrace, SYNC_HEADER } from './latency/trace.js';
import { startBrokerProcess } from './lib/broker-process.js';
import { cpuSeconds } from './lib/process-stats.js';
import { printReport, table } from './lib/report.js';
import { type StallLog, watchStalls } from './latency/stalls.js';
import { perSecond, shiftedStalls, worstIncidents } from './latency/worst.js';
import { exitOnHelp } from './lib/usage.js';

const USAGE = `Usage: npm run bench:latency-stages [-- options]
Where the time of bench:compare's W2@10k goes, stage by stage: 100-byte records at a fixed rate to
one partition, a group consumer in a worker thread, the broker in its own process with a probe.

  --seconds N          producing time (default 5)
  --rate N             records per second (default 10000)
  --flush MODE         the broker's --flush (default never: bench:compare's page-cache tier)
  --follow false       the consumer long-polls instead of following (its option follow; default true)
  --worst N            how many of the worst incidents to list with their stages and stalls (default 12)
  --max-in-flight N    produce requests in flight (the idempotent producer's maxInFlight; default
                       5, the client's default; 1: one at a time, as before pipelining)
  SPOOL_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"   flags for the broker's node
  SPOOL_STAGES_KEEP=FILE   also write the broker trace and both sides' stalls to FILE (JSON)`;
exitOnHelp(USAGE);

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1]! : fallback;
}

const seconds = Number(flag('--seconds', '5'));
const rate = Number(flag('--rate', '10000'));
const flush = flag('--flush', 'never');
const follow = flag('--follow', 'true') !== 'false';
const maxInFlight = Number(flag('--max-in-flight', '5'));
const worstCount = Number(flag('--worst', '12'));
if (!(seconds > 0) || !(rate > 0)) throw new Error('--seconds and --rate must be positive numbers');
const RECORD_BYTES = 100;
const SYNC_REQUESTS = 200;
const TOPIC = 'stages';

const traceDir = mkdtempSync(join(tmpdir(), 'spool-stages-'));
const traceFile = join(traceDir, 'broker-trace.json');
const probe = new URL('./latency/broker-probe.js', import.meta.url).pathname;
const broker = await startBrokerProcess({ flush, nodeArgs: [...(process.env.SPOOL_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), '--import', probe], extraEnv: { SPOOL_TRACE_FILE: traceFile } });
const loadBefore = loadavg();

/** Sequential GET /health with the sync header (a header: /health's strict querystring refuses unknown parameters): the broker notes when each arrived and was answered. */
async function syncClocks(): Promise<Array<{ sentAt: number; answeredAt: number }>> {
  const marks: Array<{ sentAt: number; answeredAt: number }> = [];
  for (let i = 0; i < SYNC_REQUESTS; i++) {
    const sentAt = clockMs();
    const answer = await request(`${broker.url}/health`, { headers: { [SYNC_HEADER]: String(i) } });
    await answer.body.arrayBuffer();
    marks.push({ sentAt, answeredAt: clockMs() });
  }
  return marks;
}

function startConsumer(): Promise<{ worker: Worker; delivered: () => number }> {
  const worker = new Worker(new URL('./latency/consumer-probe.js', import.meta.url), { workerData: { url: broker.url, topic: TOPIC, follow } });
  let delivered = 0;
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (message: { type: string; records?: number }) => {
      if (message.type === 'count') delivered = message.records!;
      if (message.type === 'started') resolve({ worker, delivered: () => delivered });
    });
  });
}

function stopConsumer(worker: Worker): Promise<ConsumerMarks> {
  return new Promise((resolve) => {
    worker.on('message', (message: { type: string; marks?: ConsumerMarks }) => {
      if (message.type === 'stopped') resolve(message.marks!);
    });
    worker.postMessage('stop');
  });
}

/**
 * The producer as bench:compare's Spool driver makes it, noting each send and each produce request
 * with its answer's status: a pipelined request that overtook an earlier one is refused (409) and
 * sent again, and only the requests written are matched with the broker's appends (refused()).
 */
function tracedProducer(spool: Spool, marks: ProducerMarks) {
  const sent: Array<ProducerMarks['requests'][number] & { status: number }> = [];
  const markOf = new WeakMap<object, (typeof sent)[number]>();
  subscribe('undici:client:sendHeaders', (message) => {
    const { request } = message as { request: { method: string; path: string } };
    if (request.method !== 'POST' || !request.path.includes('/records')) return;
    const mark = { wireAt: clockMs(), answerAt: 0, status: 0 };
    sent.push(mark);
    markOf.set(request, mark);
  });
  subscribe('undici:request:headers', (message) => {
    const { request, response } = message as { request: object; response: { statusCode: number } };
    const mark = markOf.get(request);
    if (mark) Object.assign(mark, { answerAt: clockMs(), status: response.statusCode });
  });
  const producer = spool.producer<Buffer>({ ...producerOptions('latency'), maxInFlight });
  return {
    async send(partition: number, values: Buffer[]) {
      const calledAt = clockMs();
      const results = await producer.send(TOPIC, values.map((value) => ({ value, partition })));
      marks.sends.push({ scheduled: values.map(readStamp), calledAt, ackedAt: clockMs(), firstOffset: results[0]!.offset });
    },
    close: () => producer.close(),
    /** Keeps the written requests in marks.requests; answers how many were refused. */
    refused(): number {
      marks.requests = sent.filter((mark) => mark.status === 200);
      return sent.length - marks.requests.length;
    },
  };
}

const spool = new Spool({ url: broker.url });
let brokerCpuSeconds = 0;
let clientCpuMicros = 0;
let produced = 0;
let refusedRequests = 0;
const producerMarks: ProducerMarks = { sends: [], requests: [] };
let consumerMarks: ConsumerMarks;
let producerStalls: StallLog | undefined;
let syncMarks: Array<{ sentAt: number; answeredAt: number }>;
try {
  syncMarks = await syncClocks();
  await spool.admin.createTopic({ name: TOPIC, partitions: 1 });
  const consumer = await startConsumer();
  const producer = tracedProducer(spool, producerMarks);
  const brokerCpuBefore = cpuSeconds(broker.pid);
  const clientCpuBefore = process.cpuUsage();
  const producerWatch = watchStalls();
  produced = (await produceAtRate({ producer, recordBytes: RECORD_BYTES, ratePerSecond: rate, seconds, ack: new LatencyRecorder() })).records;
  await producer.close();
  producerStalls = producerWatch.stop();
  refusedRequests = producer.refused();
  const deadline = clockMs() + 10_000;
  while (consumer.delivered() < produced && clockMs() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  brokerCpuSeconds = cpuSeconds(broker.pid) - brokerCpuBefore;
  const clientCpu = process.cpuUsage(clientCpuBefore);
  clientCpuMicros = clientCpu.user + clientCpu.system;
  consumerMarks = await stopConsumer(consumer.worker);
  await consumer.worker.terminate();
} finally {
  await spool.close();
  await broker.stop();
}
const trace = JSON.parse(readFileSync(traceFile, 'utf8')) as BrokerTrace;
if (process.env.SPOOL_STAGES_KEEP) writeFileSync(process.env.SPOOL_STAGES_KEEP, JSON.stringify({ trace, producerStalls, consumerStalls: consumerMarks.stalls }));
rmSync(traceDir, { recursive: true, force: true });

const clock = clockOffsetMs(trace.syncs, syncMarks);
const { summaries, ways } = stageSummaries(trace, producerMarks, consumerMarks, clock.offsetMs);
const sides = { broker: shiftedStalls(trace.stalls, clock.offsetMs), producer: producerStalls, consumer: consumerMarks.stalls };
const load = loadavg();
const why = new Map<string, string>(STAGES);
console.log(
  `${produced} records in ${trace.produces.length} produce requests (${refusedRequests} more refused for overtaking an earlier one, and re-sent) and ${trace.fetches.length} fetch answers; broker clock offset ${clock.offsetMs.toFixed(3)} ms (± ${clock.boundMs.toFixed(3)}); ` +
    `CPU per record: broker ${((brokerCpuSeconds * 1e6) / produced).toFixed(1)} µs, client (producer + consumer) ${(clientCpuMicros / produced).toFixed(1)} µs; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} -> ${load.map((l) => l.toFixed(2)).join(' ')}`,
);
printReport({
  bench: 'latency-stages',
  command: `npm run bench:latency-stages -- ${process.argv.slice(2).join(' ')}`.trim(),
  settings: { seconds, rate, flush, follow, maxInFlight, recordBytes: RECORD_BYTES },
  records: { produced, delivered: consumerMarks.delivered.length, produceRequests: trace.produces.length, refusedRequests, fetchAnswers: trace.fetches.length },
  clock: { brokerOffsetMs: clock.offsetMs, boundMs: clock.boundMs },
  cpu: { brokerMicrosPerRecord: (brokerCpuSeconds * 1e6) / produced, clientMicrosPerRecord: clientCpuMicros / produced },
  loadAverage: { before: loadBefore, after: load },
  stalls: Object.fromEntries(Object.entries(sides).map(([side, log]) => [side, log && { loopDelay: log.loopDelay, gc: log.gc, stalls: log.stalls.length }])),
  rows: summaries.map((summary) => ({ stage: summary.stage, 'p50 ms': summary.p50Ms.toFixed(3), 'p99 ms': summary.p99Ms.toFixed(3), 'p99.9 ms': summary.p999Ms.toFixed(3), records: summary.count, what: why.get(summary.stage) ?? '' })),
});
// The tail's incidents: each side's loop delay, then the worst records with what stood still meanwhile.
console.log('\nevent loops (monitorEventLoopDelay p50 / p99 / max ms; collections; stalls of 5 ms or more by kind, collections of 2 ms or more):');
for (const [side, log] of Object.entries(sides)) {
  if (!log) continue;
  const { p50Ms, p99Ms, maxMs } = log.loopDelay;
  const byKind = new Map<string, { count: number; ms: number }>();
  for (const stall of log.stalls) {
    const sum = byKind.get(stall.kind) ?? { count: 0, ms: 0 };
    byKind.set(stall.kind, { count: sum.count + 1, ms: sum.ms + stall.ms });
  }
  const kinds = [...byKind].map(([kind, sum]) => `${kind} ${sum.count} (${sum.ms.toFixed(0)} ms)`).join(', ');
  console.log(`  ${side}: ${p50Ms.toFixed(2)} / ${p99Ms.toFixed(2)} / ${maxMs.toFixed(1)}; GC ${log.gc.count} (${log.gc.totalMs.toFixed(0)} ms); ${kinds}`);
}
console.log('\ne2e latency by second of the run:\n');
console.log(table(perSecond(ways)));
console.log(`\nworst records (stages in ms, 0.5 ms or more; stalls: side kind ms @ms after the record's scheduled time):\n`);
console.log(table(worstIncidents(ways, sides, worstCount)));
process.exit(0);
