/**
 * kcat (librdkafka) producing 100-byte lines from a file into one partition and consuming them
 * back, each run measured in CPU seconds of the broker (/proc/<pid>/stat) and of kcat (this
 * process's ended children) beside its wall-clock rate. On a loaded machine the rate drifts with
 * the load; the CPU seconds per million records are what a change to the broker moves.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { KafkaAddress } from './kafka-load.js';
import { cpuSeconds, endedChildrenCpuSeconds } from './process-stats.js';

export interface KcatRun {
  recordsPerSecond: number;
  /** CPU seconds of the run: the broker's and kcat's. */
  brokerCpuSeconds: number;
  kcatCpuSeconds: number;
  /** The one-minute load average when the run ended. */
  load: number;
  /** process.hrtime (CLOCK_MONOTONIC, as a --cpu-prof profile's timestamps) at start and end, µs: to cut a broker profile by phase. */
  monotonicUs: [number, number];
}

/** librdkafka's producer settings: batches as large as kcat will make them, lingering 5 ms. */
const PRODUCER = ['-X', 'linger.ms=5', '-X', 'batch.num.messages=100000', '-X', 'batch.size=1000000', '-X', 'queue.buffering.max.messages=1000000'];
/** The consumer's: large answers (fetch.max.bytes 50 MiB, 8 MiB a partition) and a deep local queue. */
const CONSUMER = ['-X', 'fetch.max.bytes=52428800', '-X', 'max.partition.fetch.bytes=8388608', '-X', 'queued.max.messages.kbytes=1048576'];

function run(command: string, args: string[]): Promise<{ seconds: number; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ seconds: (performance.now() - started) / 1000, code, stderr }));
  });
}

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

async function measured(brokerPid: number, records: number, command: string, args: string[], what: string): Promise<KcatRun> {
  const broker0 = cpuSeconds(brokerPid);
  const kcat0 = endedChildrenCpuSeconds();
  const start = monotonicUs();
  const result = await run(command, args);
  const end = monotonicUs();
  if (result.code !== 0) throw new Error(`kcat ${what}: exit ${result.code}: ${result.stderr}`);
  return {
    recordsPerSecond: records / result.seconds,
    brokerCpuSeconds: cpuSeconds(brokerPid) - broker0,
    kcatCpuSeconds: endedChildrenCpuSeconds() - kcat0,
    load: loadavg()[0]!,
    monotonicUs: [start, end],
  };
}

/** Writes `records` lines of `valueBytes` 'x' to `path`: kcat -P -l's input. */
export function writeLines(path: string, records: number, valueBytes: number): void {
  writeFileSync(path, `${'x'.repeat(valueBytes)}\n`.repeat(records));
}

/** kcat -P of every line of `file` into partition 0 of `topic` (which must exist). */
export function kcatProduce(kcat: string, address: KafkaAddress, topic: string, file: string, records: number, brokerPid: number): Promise<KcatRun> {
  return measured(brokerPid, records, kcat, ['-b', `${address.host}:${address.port}`, '-P', '-t', topic, '-p', '0', '-l', ...PRODUCER, file], 'produce');
}

/** kcat -C of `records` records of partition 0 of `topic` from the beginning. */
export function kcatConsume(kcat: string, address: KafkaAddress, topic: string, records: number, brokerPid: number): Promise<KcatRun> {
  return measured(brokerPid, records, kcat, ['-b', `${address.host}:${address.port}`, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-c', String(records), ...CONSUMER], 'consume');
}

/** CPU seconds per 1,000,000 records, and the cores broker and kcat together need at `targetPerSecond`. */
export function cpuPerMillion(run: KcatRun, records: number, targetPerSecond: number): { broker: number; kcat: number; cores: number } {
  const broker = (run.brokerCpuSeconds * 1e6) / records;
  const kcat = (run.kcatCpuSeconds * 1e6) / records;
  return { broker, kcat, cores: ((broker + kcat) * targetPerSecond) / 1e6 };
}
