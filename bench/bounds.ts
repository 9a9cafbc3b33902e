/**
 * npm run bench:bounds: what wide topics, many groups and queues cost a broker in its own process
 * (issue "bounded under abuse"), each figure beside a reference measured in the same run:
 *   - start-up: /health after a clean stop and after SIGKILL with 10,000 partitions, beside the
 *     start-up of an empty broker (target: within 10 s);
 *   - /health latency with a `/v1/live?pattern=#` subscriber over those partitions, beside idle;
 *   - idle CPU with 50 queues on the 10,000-partition topic, beside the idle broker;
 *   - consumer groups: 1,000 members joining one group, 10,000 groups committing, GET /v1/groups,
 *     each with the longest /health answer meanwhile (event-loop stall) and the broker's RSS.
 * Flags: USAGE below (`--help` prints it).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, residentBytes } from './lib/broker-process.js';
import { printReport, type Row } from './lib/report.js';
import { exitOnHelp } from './lib/usage.js';

const USAGE = `Usage: npm run bench:bounds [-- options]
What wide topics, many groups and queues cost a broker in its own process: start-up, /health
latency under a live subscriber, idle CPU with queues, group joins and commits, each beside a reference.

  --quick         2,000 partitions, 200 members, 1,000 groups (default 10,000, 1,000, 10,000)
  --groups-only   run the consumer-groups part alone`;
exitOnHelp(USAGE);

const quick = process.argv.includes('--quick');
const groupsOnly = process.argv.includes('--groups-only');
const PARTITIONS = quick ? 2_000 : 10_000;
const MEMBERS = quick ? 200 : 1_000;
const GROUPS = quick ? 1_000 : 10_000;
const QUEUES = 50;
const MAIN = fileURLToPath(new URL('../broker/main.js', import.meta.url));
const JSON_HEADERS = { 'content-type': 'application/json' };

interface Running {
  url: string;
  child: ChildProcess;
  startMs: number;
}

async function spawnBroker(dataDir: string, port: number): Promise<Running> {
  const started = performance.now();
  const child = spawn(process.execPath, [MAIN, '--port', String(port), '--kafka-port', '0', '--data-dir', dataDir, '--flush', 'always', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    const ok = await fetch(`${url}/health`).then((response) => response.ok, () => false);
    if (ok) break;
    if (attempt > 6_000) throw new Error('broker did not start within 10 minutes');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, child, startMs: performance.now() - started };
}

async function stop(running: Running, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  const exited = new Promise((resolve) => running.child.once('exit', resolve));
  running.child.kill(signal);
  await exited;
}

async function post(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json().catch(() => null) };
}

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { ms: performance.now() - started, value };
}

/** Median latency of `count` sequential GET /health. */
async function healthMs(url: string, count = 20): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) samples.push((await timed(() => fetch(`${url}/health`).then((response) => response.text()))).ms);
  return samples.sort((a, b) => a - b)[Math.floor(count / 2)]!;
}

/**
 * Runs `run` while a probe asks /health again and again: the slowest answer is the longest the
 * broker's event loop stalled (to within one probe's round trip) while `run` went on.
 */
async function withStallProbe<T>(url: string, run: () => Promise<T>): Promise<{ ms: number; value: T; stallMs: number }> {
  let running = true;
  let stallMs = 0;
  const probe = (async () => {
    while (running) {
      const answered = await timed(() => fetch(`${url}/health`).then((response) => response.text()));
      stallMs = Math.max(stallMs, answered.ms);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const result = await timed(run);
  running = false;
  await probe;
  return { ...result, stallMs };
}

/** CPU seconds (user + system) of a process, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function idleCpuPercent(running: Running, ms = 5_000): Promise<number> {
  const before = cpuSeconds(running.child.pid!);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ((cpuSeconds(running.child.pid!) - before) / (ms / 1000)) * 100;
}

const rows: Row[] = [];
const figures: Record<string, number> = {};
const note = (run: string, value: number, unit: string, reference: number | null = null) => {
  rows.push({ run, [unit]: value, reference, ratio: reference ? value / reference : null });
  figures[run] = value;
};

const dataDir = mkdtempSync(join(tmpdir(), 'spool-bench-bounds-'));
const port = await freePort();
try {
  // Start-up and idle references: an empty broker.
  let broker = await spawnBroker(dataDir, port);
  const emptyStartMs = broker.startMs;
  const idleHealthMs = await healthMs(broker.url);
  const idleCpu = await idleCpuPercent(broker, 3_000);
  if (!groupsOnly) broker = await wideTopic(broker, emptyStartMs, idleHealthMs, idleCpu);
  await groupFigures(broker, idleHealthMs);
  await stop(broker, 'SIGTERM');
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}

/** Start-up, live pattern subscribers and idle queues with PARTITIONS partitions; answers the broker running now. */
async function wideTopic(started: Running, emptyStartMs: number, idleHealthMs: number, idleCpu: number): Promise<Running> {
  let broker = started;
  const created = await timed(() => post(`${broker.url}/v1/topics`, { name: 'wide', partitions: PARTITIONS }));
  if (created.value.status !== 201) throw new Error(`create answered ${created.value.status}: ${JSON.stringify(created.value.body)}`);
  note(`create a ${PARTITIONS}-partition topic (ms)`, created.ms, 'ms');

  await stop(broker, 'SIGTERM');
  broker = await spawnBroker(dataDir, port);
  note(`/health after a clean restart, ${PARTITIONS} partitions (ms)`, broker.startMs, 'ms', emptyStartMs);
  await stop(broker, 'SIGKILL');
  broker = await spawnBroker(dataDir, port);
  note(`/health after SIGKILL, ${PARTITIONS} partitions (ms)`, broker.startMs, 'ms', emptyStartMs);

  // One pattern subscriber over every partition.
  const live = get(`${broker.url}/v1/live?pattern=%23`, { agent: false });
  await new Promise((resolve) => live.once('response', resolve));
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  note('GET /health p50 with a # live subscriber (ms)', await healthMs(broker.url), 'ms', idleHealthMs);
  live.destroy();
  const metrics = await fetch(`${broker.url}/metrics`).then((response) => response.text());
  note('/metrics size (KiB)', metrics.length / 1024, 'KiB');

  // Queues on the wide topic, idle.
  for (let i = 0; i < QUEUES; i++) await fetch(`${broker.url}/v1/topics/wide/queues/q${i}`, { method: 'PUT', headers: JSON_HEADERS, body: '{}' });
  await post(`${broker.url}/v1/topics/wide/queues/q0/receive`, { max: 1 });
  for (let i = 0; i < QUEUES; i++) await fetch(`${broker.url}/v1/topics/wide/queues/q${i}`);
  note(`idle CPU, ${QUEUES} queues on ${PARTITIONS} partitions (%)`, await idleCpuPercent(broker), '%', idleCpu);
  note(`GET /health p50, ${QUEUES} queues (ms)`, await healthMs(broker.url), 'ms', idleHealthMs);
  for (let i = 0; i < QUEUES; i++) await fetch(`${broker.url}/v1/topics/wide/queues/q${i}`, { method: 'DELETE' });
  return broker;
}

/** Consumer groups: time, the longest event-loop stall meanwhile, and the broker's memory. */
async function groupFigures(broker: Running, idleHealthMs: number): Promise<void> {
  await post(`${broker.url}/v1/topics`, { name: 'grouped', partitions: 64 });
  const rssBeforeGroupsMiB = (await residentBytes(broker.child.pid!)) / 2 ** 20;
  const joins = await withStallProbe(broker.url, async () => {
    let last = 0;
    for (let i = 0; i < MEMBERS; i++) {
      const join = await timed(() => post(`${broker.url}/v1/groups/big/members`, { topics: ['grouped'], sessionTimeoutMs: 300_000 }));
      if (join.value.status !== 200) throw new Error(`join ${i} answered ${join.value.status}: ${JSON.stringify(join.value.body)}`);
      last = join.ms;
    }
    return last;
  });
  note(`${MEMBERS} joins of one group (ms)`, joins.ms, 'ms');
  note(`last join of ${MEMBERS} (ms)`, joins.value, 'ms', idleHealthMs);
  note(`longest /health during ${MEMBERS} joins (ms)`, joins.stallMs, 'ms', idleHealthMs);
  note(`broker RSS with a ${MEMBERS}-member group (MiB)`, (await residentBytes(broker.child.pid!)) / 2 ** 20, 'MiB', rssBeforeGroupsMiB);
  const churn = await timed(async () => {
    await post(`${broker.url}/v1/topics`, { name: 'churn', partitions: 1 });
    await fetch(`${broker.url}/v1/topics/churn`, { method: 'DELETE' });
  });
  note(`topic create + delete with a ${MEMBERS}-member group (ms)`, churn.ms, 'ms');
  // GROUPS groups in all: the big one and GROUPS - 1 committing (groupsMax is 10,000).
  const commits = await withStallProbe(broker.url, async () => {
    for (let i = 0; i < GROUPS - 1; i += 100) {
      const batch = Array.from({ length: Math.min(100, GROUPS - 1 - i) }, (_, j) => i + j);
      const answers = await Promise.all(batch.map((g) => post(`${broker.url}/v1/groups/g${g}/offsets`, { offsets: [{ topic: 'grouped', partition: g % 64, offset: 0 }] })));
      const refused = answers.find((answer) => answer.status !== 200);
      if (refused) throw new Error(`a commit answered ${refused.status}: ${JSON.stringify(refused.body)}`);
    }
  });
  note(`${GROUPS} groups committing (ms)`, commits.ms, 'ms');
  note(`longest /health while ${GROUPS} groups commit (ms)`, commits.stallMs, 'ms', idleHealthMs);
  note(`broker RSS with ${GROUPS} groups (MiB)`, (await residentBytes(broker.child.pid!)) / 2 ** 20, 'MiB', rssBeforeGroupsMiB);
  const listed = await withStallProbe(broker.url, () => fetch(`${broker.url}/v1/groups`).then((response) => response.json() as Promise<{ groups: unknown[] }>));
  note(`GET /v1/groups with ${listed.value.groups.length} groups (ms)`, listed.ms, 'ms', idleHealthMs);
  note(`longest /health during GET /v1/groups (ms)`, listed.stallMs, 'ms', idleHealthMs);
}

printReport({ bench: 'bounds', partitions: PARTITIONS, members: MEMBERS, groups: GROUPS, queues: QUEUES, rows, figures });
