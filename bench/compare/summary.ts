/**
 * The results as people and machines read them: a markdown table of every run, the calibration,
 * the targets (met or not, with the ratio), written to bench/results/compare-<date>.json and .md
 * and printed, with the JSON line last (bench/lib/report.ts's convention).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type MachineInfo, machineInfo } from '../lib/machine.js';
import { formatNumber, type Row, table } from '../lib/report.js';
import type { Calibration } from './calibration.js';
import type { SystemName, Tier } from './driver.js';
import type { LatencySummary } from './histogram.js';
import { type CompareOptions, SYSTEMS } from './options.js';
import type { RunResult } from './runner.js';
import type { Peers } from './systems.js';
import { WORKLOADS } from './workloads.js';

export interface RunFailure {
  workload: string;
  system: SystemName;
  tier: Tier;
  error: string;
}

export interface Target {
  name: string;
  measured: string;
  ratio: number | null;
  met: boolean | null;
}

const RESULTS_DIR = fileURLToPath(new URL('../../../bench/results/', import.meta.url));

function ms(value: number): string {
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : String(Math.round(value));
}

/** Bytes left in the data directory, and bytes the kernel accounted as written (/proc write_bytes), each per payload byte. */
function diskRatios(result: RunResult): string {
  const payloadBytes = result.produce.records * WORKLOADS.find((w) => w.id === result.workload)!.recordBytes;
  return payloadBytes > 0 ? `${(result.disk.dataDirBytes / payloadBytes).toFixed(2)}, ${(result.disk.ioWriteBytes / payloadBytes).toFixed(2)}` : 'n/a';
}

function latency(summary: LatencySummary | null): string {
  return summary ? `${ms(summary.p50Ms)} / ${ms(summary.p99Ms)} / ${ms(summary.p999Ms)} / ${ms(summary.maxMs)}` : 'n/a';
}

export function resultRows(results: RunResult[], failures: RunFailure[], peers: Peers, diskMBps: number): Row[] {
  const rows: Row[] = [];
  for (const workload of WORKLOADS) {
    for (const tier of ['page-cache', 'synced'] as const) {
      for (const system of SYSTEMS) {
        const base = { workload: workload.id, tier, system };
        const result = results.find((r) => r.workload === workload.id && r.tier === tier && r.system === system);
        const failure = failures.find((f) => f.workload === workload.id && f.tier === tier && f.system === system);
        const unavailable = peers.unavailable[`${system}/${tier}`];
        if (result) {
          const consumed = result.consume.complete ? formatNumber(result.consume.recordsPerSecond) : `${formatNumber(result.consume.recordsPerSecond)} (${Math.floor((100 * result.consume.records) / result.consume.expected)}% read)`;
          rows.push({
            ...base,
            'produce rec/s': result.produce.recordsPerSecond,
            'produce MB/s': result.produce.MBps,
            'vs disk': result.produce.MBps / diskMBps,
            'consume rec/s': consumed,
            'consume MB/s': result.consume.MBps,
            'ack ms p50/p99/p99.9/max': latency(result.ackLatency),
            'e2e ms p50/p99/p99.9/max': latency(result.e2eLatency),
            'RSS MB': result.serverRss.peakMB,
            'disk B/payload B: dir, io': diskRatios(result),
          });
        } else if (failure) rows.push({ ...base, 'produce rec/s': `error: ${failure.error.slice(0, 80)}` });
        else if (unavailable && results.some((r) => r.workload === workload.id)) rows.push({ ...base, 'produce rec/s': 'n/a' });
      }
    }
  }
  return rows;
}

export function calibrationRows(calibration: Calibration): Row[] {
  const { disk, http } = calibration;
  return [
    { reference: `disk sequential write, 1 MiB writes (${disk.tool})`, figure: `${formatNumber(disk.sequentialWriteMBps)} MB/s`, where: disk.dir },
    { reference: `disk fdatasync of a 4 KiB append (${disk.tool})`, figure: `p50 ${ms(disk.fdatasyncP50Ms)} ms, p99 ${ms(disk.fdatasyncP99Ms)} ms`, where: disk.dir },
    { reference: 'loopback HTTP, bare fastify POST, 10 connections', figure: `${formatNumber(http.requestsPerSecond)} requests/s`, where: '127.0.0.1' },
    { reference: 'loopback HTTP, bare fastify POST, 1 connection', figure: `round trip ${ms(http.roundTripMs)} ms`, where: '127.0.0.1' },
  ];
}

export function evaluateTargets(results: RunResult[]): Target[] {
  const find = (workload: string, system: SystemName, tier: Tier) => results.find((r) => r.workload === workload && r.system === system && r.tier === tier);
  const targets: Target[] = [];
  const versus = (name: string, workload: string, tier: Tier, peer: SystemName, factor: number, figure: (r: RunResult) => number) => {
    const spool = find(workload, 'spool', tier);
    const other = find(workload, peer, tier);
    if (!spool || !other) return targets.push({ name, measured: 'not run', ratio: null, met: null });
    const ratio = figure(spool) / figure(other);
    targets.push({ name, measured: `${formatNumber(figure(spool))} vs ${formatNumber(figure(other))} records/s`, ratio, met: ratio >= factor });
  };
  const produced = (r: RunResult) => r.produce.recordsPerSecond;
  const consumed = (r: RunResult) => r.consume.recordsPerSecond;
  versus('W2 produce >= 5x Redis Streams (page-cache tier)', 'W2', 'page-cache', 'redis', 5, produced);
  versus('W2 produce >= 5x Redis Streams (synced tier)', 'W2', 'synced', 'redis', 5, produced);
  versus('W2 produce >= 10x NATS JetStream (page-cache tier)', 'W2', 'page-cache', 'nats', 10, produced);
  versus('W5 catch-up >= 5x Redis XRANGE (page-cache tier)', 'W5', 'page-cache', 'redis', 5, consumed);
  versus('W5 catch-up >= 5x Redis XRANGE (synced tier)', 'W5', 'synced', 'redis', 5, consumed);
  const never = find('W2', 'spool', 'page-cache');
  const always = find('W2', 'spool', 'synced');
  if (never && always) {
    const ratio = always.produce.recordsPerSecond / never.produce.recordsPerSecond;
    targets.push({ name: 'W2 produce, synced tier >= 50% of page-cache tier (Spool)', measured: `${formatNumber(always.produce.recordsPerSecond)} vs ${formatNumber(never.produce.recordsPerSecond)} records/s`, ratio, met: ratio >= 0.5 });
  }
  const absolute = (name: string, result: RunResult | undefined, value: (r: RunResult) => number, limit: number, atLeast: boolean, unit: string) => {
    if (!result) return targets.push({ name, measured: 'not run', ratio: null, met: null });
    const measured = value(result);
    targets.push({ name, measured: `${formatNumber(measured)} ${unit}`, ratio: measured / limit, met: atLeast ? measured >= limit : measured <= limit });
  };
  absolute('ARCHITECTURE §5: W2 produce >= 1,000,000 records/s (page-cache)', never, produced, 1_000_000, true, 'records/s');
  absolute('ARCHITECTURE §5: W5 replay >= 2,000,000 records/s (page-cache)', find('W5', 'spool', 'page-cache'), consumed, 2_000_000, true, 'records/s');
  for (const tier of ['page-cache', 'synced'] as const) {
    const run = find('W2@10k', 'spool', tier);
    absolute(`ARCHITECTURE §5: e2e p50 <= 1 ms at 10,000 records/s (${tier})`, run, (r) => r.e2eLatency?.p50Ms ?? Number.POSITIVE_INFINITY, 1, false, 'ms');
    absolute(`ARCHITECTURE §5: e2e p99 <= 5 ms at 10,000 records/s (${tier})`, run, (r) => r.e2eLatency?.p99Ms ?? Number.POSITIVE_INFINITY, 5, false, 'ms');
  }
  return targets;
}

function targetRows(targets: Target[]): Row[] {
  return targets.map((t) => ({ target: t.name, measured: t.measured, ratio: t.ratio === null ? 'n/a' : Number(t.ratio.toFixed(2)), met: t.met === null ? 'not run' : t.met ? 'yes' : 'NO' }));
}

export interface CompareReport {
  bench: 'compare';
  at: string;
  command: string;
  machine: MachineInfo;
  options: CompareOptions;
  versions: Record<string, string>;
  durability: Record<string, string>;
  calibration: Calibration;
  results: RunResult[];
  failures: RunFailure[];
  targets: Target[];
  notes: string[];
}

function markdown(report: CompareReport, peers: Peers): string {
  const { machine } = report;
  const versions = Object.entries(report.versions).map(([name, version]) => `${name} ${version}`).join(', ');
  return [
    `# bench:compare, ${report.at}${report.options.quick ? ' (--quick)' : ''}`,
    '',
    `\`${report.command}\` on ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}.`,
    `Versions: ${versions}.`,
    '',
    '## Limits of this machine, measured in the same run',
    '',
    table(calibrationRows(report.calibration)),
    '',
    '## Results',
    '',
    'Latencies in ms as p50 / p99 / p99.9 / max. ack: from send (or scheduled send) to the acknowledgement; e2e: to delivery to a consumer.',
    'vs disk: produce MB/s over the disk\'s sequential write MB/s. RSS: peak resident memory of the server process. disk B/payload B: bytes allocated in the server\'s data directory at the end, and bytes the kernel accounted to the server as written (/proc/<pid>/io write_bytes, which counts a page each time it is dirtied again after a flush), per byte of record value. W4 consume counts the 4 groups together.',
    '',
    table(resultRows(report.results, report.failures, peers, report.calibration.disk.sequentialWriteMBps)),
    '',
    '## Targets',
    '',
    'ratio: Spool\'s figure over the peer\'s (target: at least the factor named), or the figure over its limit (at least 1 for a floor, at most 1 for a ceiling).',
    '',
    table(targetRows(report.targets)),
    '',
    '## Notes',
    '',
    ...report.notes.map((note) => `- ${note}`),
    '',
  ].join('\n');
}

/** Prints the tables, writes bench/results/compare-<date>.{json,md}, prints the JSON line last. */
export function publish(report: Omit<CompareReport, 'bench' | 'at' | 'machine' | 'targets'>, peers: Peers): CompareReport {
  const full: CompareReport = { bench: 'compare', at: new Date().toISOString(), machine: machineInfo(), targets: evaluateTargets(report.results), ...report };
  const text = markdown(full, peers);
  console.log(`\n${text}`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stem = `${RESULTS_DIR}compare-${full.options.quick ? 'quick-' : ''}${full.at.slice(0, 19).replace(/[:T]/g, '-')}`;
  writeFileSync(`${stem}.json`, `${JSON.stringify(full, null, 2)}\n`);
  writeFileSync(`${stem}.md`, text);
  console.log(`saved ${stem}.json and ${stem}.md`);
  console.log(JSON.stringify(full));
  return full;
}
