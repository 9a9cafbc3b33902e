/**
 * npm run bench:embedded: what an embedded broker (`spool-broker/broker`, issue 22) costs to start,
 * beside what the same machine takes in the same run to start `spool serve` as a child process and
 * answer /health, and redis-server to answer PING. Targets: embedded start to first acknowledged
 * produce ≤ 100 ms median; an idle embedded broker ≤ 60 MB.
 *
 *   embedded → produce   startBroker(), create a topic, produce one record (flush=always) acked
 *   embedded → consume   ... and fetch that record back
 *   spool serve → /health   spawn to the first 200 of /health (module loading included)
 *   redis-server → PING     spawn to +PONG
 *
 * Embedded starts run in this process one after the other (a test runner's case: modules loaded
 * once; the first start, which loads them, is reported apart). Memory is measured in fresh child
 * processes (the median of 5): RSS and heap before importing the broker and with one idle broker,
 * after a GC.
 * Flags: USAGE below (`--help` prints it).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { answersOnPort } from './compare/peers/server-process.js';
import { ensureCommand } from './compare/peers/debian-package.js';
import { freePort } from './lib/broker-process.js';
import { printReport, type Row } from './lib/report.js';
import { exitOnHelp } from './lib/usage.js';

const USAGE = `Usage: npm run bench:embedded [-- options]   (runs node --expose-gc dist/bench/embedded.js)
What an embedded broker costs to start (to first acked produce and consume) and in idle memory,
beside spawning \`spool serve\` to its first /health and redis-server to PONG. Targets: embedded
start to first produce <= 100 ms median; an idle embedded broker <= 60 MB.

  --starts N       embedded starts measured in this process (default 50)
  --memory-probe   internal: the fresh child process that measures memory (with --client-first:
                   the probe's HTTP client loaded before the broker)`;
exitOnHelp(USAGE);

const STARTS = Number(process.argv[process.argv.indexOf('--starts') + 1]) || 50;
const CHILD_STARTS = 10;
const MEMORY_PROBES = 5;
const POLL_MS = 2;
const JSON_HEADERS = { 'content-type': 'application/json' };
const SELF = fileURLToPath(import.meta.url);
const MAIN = fileURLToPath(new URL('../broker/main.js', import.meta.url));

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function poll(ready: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await ready().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} did not answer within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function post(url: string, body: unknown): Promise<any> {
  const response = await fetch(url, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

/** One embedded start: times to started, to first produce acknowledged, to that record fetched. */
async function embeddedStart(startBroker: typeof import('../broker/index.js').startBroker) {
  const started = performance.now();
  const broker = await startBroker({ kafka: false });
  const startMs = performance.now() - started;
  await post(`${broker.url}/v1/topics`, { name: 'first', partitions: 1 });
  await post(`${broker.url}/v1/topics/first/records`, { records: [{ value: 'hello' }] });
  const produceMs = performance.now() - started;
  const fetched = (await (await fetch(`${broker.url}/v1/topics/first/partitions/0/records?offset=0`)).json()) as { records: unknown[] };
  if (fetched.records.length !== 1) throw new Error('the record produced was not fetched');
  const consumeMs = performance.now() - started;
  await broker.close();
  return { startMs, produceMs, consumeMs };
}

async function spawnTimed(command: string, args: (port: number) => string[], ready: (port: number) => Promise<boolean>): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(command, args(port), { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await poll(() => ready(port), command);
    return performance.now() - started;
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/**
 * The probe's own HTTP client (Node's fetch: its undici and the young-generation growth of loading
 * it, ~10-20 MB of RSS measured in a fresh process) is the app's or the test's, not the broker's:
 * with `--client-first` it is loaded (one POST to a throwaway server) before the baseline, so the
 * delta is the broker's alone. Without it, as in the figures before 2026-11-30 16:00, the probe's
 * first fetch is counted too.
 */
async function loadProbeClient(): Promise<void> {
  const server = createServer((_request, response) => response.end('{}')).listen(0, '127.0.0.1');
  await once(server, 'listening');
  await post(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, {});
  server.close();
}

/** Run as `--memory-probe` in a fresh process: memory before importing the broker and with one idle. */
async function memoryProbe(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc!;
  if (process.argv.includes('--client-first')) await loadProbeClient();
  gc();
  const before = process.memoryUsage();
  const { startBroker } = await import('../broker/index.js');
  const broker = await startBroker();
  await post(`${broker.url}/v1/topics`, { name: 'idle', partitions: 1 });
  await post(`${broker.url}/v1/topics/idle/records`, { records: [{ value: 'x' }] });
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  gc();
  const idle = process.memoryUsage();
  await broker.close();
  console.log(JSON.stringify({ rssBefore: before.rss, rssIdle: idle.rss, heapBefore: before.heapUsed, heapIdle: idle.heapUsed, external: idle.external - before.external }));
}

/** One probe in a fresh process. */
async function probeMemory(clientFirst: boolean): Promise<MemoryProbe> {
  const child = spawn(process.execPath, ['--expose-gc', SELF, '--memory-probe', ...(clientFirst ? ['--client-first'] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  return JSON.parse(out.trim().split('\n').pop()!);
}

interface MemoryProbe {
  rssBefore: number;
  rssIdle: number;
  heapBefore: number;
  heapIdle: number;
  external: number;
}

/**
 * MEMORY_PROBES probes, one after another: one process's RSS moves by ±8 MB from run to run (how
 * far V8's young generation grew while the modules loaded, what malloc kept), so the median is
 * reported with the range. The two kinds of probe alternate so that the load moves both alike.
 */
async function measureMemory(): Promise<{ brokerAlone: MemoryFigures; withProbeClient: MemoryFigures }> {
  const alone: MemoryProbe[] = [];
  const withClient: MemoryProbe[] = [];
  for (let i = 0; i < MEMORY_PROBES; i++) {
    alone.push(await probeMemory(true));
    withClient.push(await probeMemory(false));
  }
  return { brokerAlone: memoryFigures(alone), withProbeClient: memoryFigures(withClient) };
}

interface MemoryFigures {
  rssDeltaMB: number[];
  heapDeltaMB: number[];
  rssIdleMB: number[];
  externalMB: number[];
}

function memoryFigures(probes: MemoryProbe[]): MemoryFigures {
  const MB = 1024 * 1024;
  return {
    rssDeltaMB: probes.map((probe) => (probe.rssIdle - probe.rssBefore) / MB),
    heapDeltaMB: probes.map((probe) => (probe.heapIdle - probe.heapBefore) / MB),
    rssIdleMB: probes.map((probe) => probe.rssIdle / MB),
    externalMB: probes.map((probe) => probe.external / MB),
  };
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const MB = 1024 * 1024;

  const loadStarted = performance.now();
  const { startBroker } = await import('../broker/index.js');
  const first = await embeddedStart(startBroker);
  const firstMs = performance.now() - loadStarted;
  const runs = [];
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  for (let i = 0; i < STARTS; i++) runs.push(await embeddedStart(startBroker));
  gc();
  const heapGrowthMB = (process.memoryUsage().heapUsed - heapBefore) / MB;
  const row = (run: string, samples: number[], target: string) => rows.push({ run, n: samples.length, 'median ms': percentile(samples, 50), 'p99 ms': percentile(samples, 99), target });
  row('embedded: startBroker()', runs.map((run) => run.startMs), '');
  row('embedded: start → first produce acked', runs.map((run) => run.produceMs), '≤ 100 ms median');
  row('embedded: start → first record consumed', runs.map((run) => run.consumeMs), '');
  rows.push({ run: 'embedded: first start, module loading included', n: 1, 'median ms': firstMs, 'p99 ms': firstMs, target: `(of which to produce ${first.produceMs.toFixed(0)} ms)` });

  const serve = [];
  for (let i = 0; i < CHILD_STARTS; i++) {
    serve.push(
      await spawnTimed(
        process.execPath,
        (port) => [MAIN, '--port', String(port), '--kafka-port', '0', '--data-dir', `/tmp/spool-bench-embedded-serve-${process.pid}-${i}`, '--log-level', 'warn'],
        (port) => fetch(`http://127.0.0.1:${port}/health`).then((response) => response.ok),
      ),
    );
  }
  row('spool serve (child process) → /health', serve, 'reference');
  const { rmSync } = await import('node:fs');
  for (let i = 0; i < CHILD_STARTS; i++) rmSync(`/tmp/spool-bench-embedded-serve-${process.pid}-${i}`, { recursive: true, force: true });

  const redis = ensureCommand('redis-server', 'redis-server');
  const redisRuns = [];
  if (redis) {
    for (let i = 0; i < CHILD_STARTS; i++) {
      redisRuns.push(await spawnTimed(redis, (port) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', ''], (port) => answersOnPort(port, 'PING\r\n', '+PONG')));
    }
    row('redis-server → PING', redisRuns, 'reference');
  }

  const loadBefore = loadavg()[0]!;
  const memory = await measureMemory();
  // RSS moves with the load (how far V8's young generation grew): printed beside the figures.
  const loadAverage = `load average ${loadBefore.toFixed(1)}-${loadavg()[0]!.toFixed(1)}`;
  const spread = (samples: number[]) => `${percentile(samples, 50).toFixed(1)} MB (${Math.min(...samples).toFixed(0)}-${Math.max(...samples).toFixed(0)})`;
  const memoryRows = (what: string, figures: MemoryFigures, target: string) => {
    rows.push({ run: `idle embedded broker${what}: RSS delta (MB)`, n: MEMORY_PROBES, 'median ms': null, 'p99 ms': null, target: `${spread(figures.rssDeltaMB)}${target}; RSS ${percentile(figures.rssIdleMB, 50).toFixed(0)} MB in all` });
    rows.push({ run: `idle embedded broker${what}: heap delta (MB)`, n: MEMORY_PROBES, 'median ms': null, 'p99 ms': null, target: `${spread(figures.heapDeltaMB)}; external ${percentile(figures.externalMB, 50).toFixed(1)} MB` });
  };
  memoryRows('', memory.brokerAlone, ` (≤ 60 MB), ${loadAverage}`);
  memoryRows(", the probe's fetch counted", memory.withProbeClient, '');
  rows.push({ run: `heap growth over ${STARTS} starts and closes (MB)`, n: STARTS, 'median ms': null, 'p99 ms': null, target: `${heapGrowthMB.toFixed(1)} MB (a leak would grow with starts)` });

  const median = (samples: number[]) => percentile(samples, 50);
  printReport({
    bench: 'embedded',
    starts: STARTS,
    rows,
    figures: {
      embeddedStartMedianMs: median(runs.map((run) => run.startMs)),
      embeddedProduceMedianMs: median(runs.map((run) => run.produceMs)),
      embeddedProduceP99Ms: percentile(runs.map((run) => run.produceMs), 99),
      embeddedConsumeMedianMs: median(runs.map((run) => run.consumeMs)),
      embeddedConsumeP99Ms: percentile(runs.map((run) => run.consumeMs), 99),
      firstStartWithModulesMs: firstMs,
      serveHealthMedianMs: median(serve),
      redisPingMedianMs: redisRuns.length > 0 ? median(redisRuns) : null,
      idleRssDeltaMB: median(memory.brokerAlone.rssDeltaMB),
      idleRssDeltaMaxMB: Math.max(...memory.brokerAlone.rssDeltaMB),
      idleHeapDeltaMB: median(memory.brokerAlone.heapDeltaMB),
      idleRssDeltaWithProbeFetchMB: median(memory.withProbeClient.rssDeltaMB),
      memoryLoadAverage: loadAverage,
      heapGrowthMB,
    },
  });
}

if (process.argv.includes('--memory-probe')) await memoryProbe();
else await main();
