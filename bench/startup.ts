/**
 * npm run bench:startup: a broker's restart with a wide topic (issue 14 item 3, target: a
 * 10,000-partition topic answers /health within 10 s of a restart), beside the same restarts with a
 * 100-partition topic in the same run. For each width: a broker in its own process creates the
 * topic, gets one record on each of a few partitions, is stopped with SIGTERM (timed: past the
 * broker's shutdownGraceMs it is killed before writing its clean-shutdown marker, and the next
 * start recovers every partition), restarted (spawn → first /health), checked (GET /v1/topics/:t
 * sees every partition), killed with SIGKILL and restarted again.
 * Flags: USAGE below (`--help` prints it).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerProcess, freePort, startBrokerProcess } from './lib/broker-process.js';
import { printReport, type Row } from './lib/report.js';
import { exitOnHelp } from './lib/usage.js';

const USAGE = `Usage: npm run bench:startup [-- options]
A broker's restart (after SIGTERM and after SIGKILL) with a wide topic, spawn to first /health,
beside the same restarts with a 100-partition topic. Target: 10,000 partitions within 10 s.

  --quick   2,000 partitions (default 10,000)`;
exitOnHelp(USAGE);

const WIDE = process.argv.includes('--quick') ? 2_000 : 10_000;
const REFERENCE = 100;
const START_TIMEOUT_MS = 10 * 60 * 1000;
const JSON_HEADERS = { 'content-type': 'application/json' };

interface Restarts {
  createMs: number;
  shutdownMs: number;
  cleanExit: boolean;
  cleanRestartMs: number;
  killedRestartMs: number;
}

async function timedStart(dataDir: string, port: number): Promise<{ broker: BrokerProcess; ms: number }> {
  const started = performance.now();
  const broker = await startBrokerProcess({ dataDir, port, startTimeoutMs: START_TIMEOUT_MS });
  return { broker, ms: performance.now() - started };
}

/** Stops with `signal`; answers how long the process took to exit and whether it exited 0. */
async function stop(broker: BrokerProcess, signal: 'SIGTERM' | 'SIGKILL'): Promise<{ ms: number; code: number | null }> {
  const started = performance.now();
  const exited = new Promise<number | null>((resolve) => broker.child.once('exit', (code) => resolve(code)));
  broker.child.kill(signal);
  const code = await exited;
  return { ms: performance.now() - started, code };
}

async function checkTopic(url: string, partitions: number): Promise<void> {
  const described = (await (await fetch(`${url}/v1/topics/t`)).json()) as { partitionDetails: Array<{ highWatermark: number }> };
  const records = described.partitionDetails.reduce((sum, detail) => sum + detail.highWatermark, 0);
  if (described.partitionDetails.length !== partitions || records !== 3) throw new Error(`after the restart: ${described.partitionDetails.length} partitions, ${records} records`);
}

async function restarts(partitions: number): Promise<Restarts> {
  const dataDir = mkdtempSync(join(tmpdir(), 'spool-bench-startup-'));
  const port = await freePort();
  try {
    let { broker } = await timedStart(dataDir, port);
    const created = performance.now();
    const answer = await fetch(`${broker.url}/v1/topics`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ name: 't', partitions }) });
    if (answer.status !== 201) throw new Error(`create answered ${answer.status}: ${await answer.text()}`);
    const createMs = performance.now() - created;
    for (const partition of [0, 1, partitions - 1]) {
      const produced = await fetch(`${broker.url}/v1/topics/t/records`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ records: [{ value: 'x', partition }] }) });
      if (!produced.ok) throw new Error(`produce answered ${produced.status}`);
    }
    const shutdown = await stop(broker, 'SIGTERM');
    const clean = existsSync(join(dataDir, 'topics.clean-shutdown'));
    let start = await timedStart(dataDir, port);
    broker = start.broker;
    const cleanRestartMs = start.ms;
    await checkTopic(broker.url, partitions);
    await stop(broker, 'SIGKILL');
    start = await timedStart(dataDir, port);
    await checkTopic(start.broker.url, partitions);
    await stop(start.broker, 'SIGTERM');
    return { createMs, shutdownMs: shutdown.ms, cleanExit: shutdown.code === 0 && clean, cleanRestartMs, killedRestartMs: start.ms };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const loadBefore = loadavg()[0]!;
const reference = await restarts(REFERENCE);
const wide = await restarts(WIDE);
const loadAfter = loadavg()[0]!;
const rows: Row[] = [];
const row = (what: string, value: (run: Restarts) => number | boolean) => rows.push({ what, [`${WIDE} partitions`]: value(wide), [`${REFERENCE} partitions`]: value(reference) });
row('create the topic (ms)', (run) => run.createMs);
row('SIGTERM → exit (ms)', (run) => run.shutdownMs);
row('exited 0, clean-shutdown marker written', (run) => run.cleanExit);
row('/health after a clean restart (ms; target 10,000 partitions ≤ 10 s)', (run) => run.cleanRestartMs);
row('/health after SIGKILL (ms)', (run) => run.killedRestartMs);
printReport({ bench: 'startup', rows, partitions: WIDE, loadAverage: { before: loadBefore, after: loadAfter } });
