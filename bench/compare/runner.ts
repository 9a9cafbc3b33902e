/**
 * One workload against one started system: creates the stream, runs producer and consumers,
 * measures, and answers the figures. The caller starts a fresh server for every run, so memory and
 * bytes on disk belong to this workload alone.
 */
import { directoryBytes, ioWriteBytes, ResidentSampler } from '../lib/process-stats.js';
import type { ConsumerDriver, SystemUnderTest } from './driver.js';
import { type LatencySummary, LatencyRecorder } from './histogram.js';
import type { CompareOptions } from './options.js';
import { readStamp } from './payload.js';
import { type Produced, produceAtRate, produceMaxRate } from './produce.js';
import type { Workload } from './workloads.js';

export interface Throughput {
  records: number;
  seconds: number;
  recordsPerSecond: number;
  MBps: number;
}

export interface RunResult {
  workload: string;
  system: string;
  tier: string;
  durability: string;
  produce: Throughput;
  /** All groups together (W4 reads every record four times). */
  consume: Throughput & { expected: number; complete: boolean };
  ackLatency: LatencySummary | null;
  /** null for the backlog run, where records wait by design. */
  e2eLatency: LatencySummary | null;
  serverRss: { peakMB: number; endMB: number };
  disk: { ioWriteBytes: number; dataDirBytes: number; bytesPerPayloadByte: number };
}

const POLL_MS = 5;

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return true;
}

function throughput(records: number, seconds: number, recordBytes: number): Throughput {
  return { records, seconds, recordsPerSecond: seconds > 0 ? records / seconds : 0, MBps: seconds > 0 ? (records * recordBytes) / 1e6 / seconds : 0 };
}

/** Counts what consumers receive and their end-to-end latency. */
class Reception {
  readonly counts: number[];
  lastAt = 0;
  readonly e2e = new LatencyRecorder();

  constructor(consumers: number, private readonly measureLatency: boolean) {
    this.counts = new Array(consumers).fill(0);
  }

  handler(index: number): (value: Uint8Array) => void {
    return (value) => {
      const now = performance.now();
      this.counts[index]!++;
      this.lastAt = now;
      if (this.measureLatency) this.e2e.record(now - readStamp(value));
    };
  }

  total(): number {
    return this.counts.reduce((sum, count) => sum + count, 0);
  }

  reached(records: number): boolean {
    return this.counts.every((count) => count >= records);
  }
}

export async function runWorkload(workload: Workload, { server, driver }: SystemUnderTest, options: CompareOptions): Promise<RunResult> {
  const stream = { name: workload.id.toLowerCase().replace(/[^a-z0-9]/g, ''), partitions: workload.partitions };
  const groups = Array.from({ length: workload.groups }, (_, i) => `group-${i}`);
  await driver.create(stream, groups);
  const rss = new ResidentSampler(server.pid);
  const ioBefore = ioWriteBytes(server.pid);
  const ack = new LatencyRecorder();
  const live = workload.kind === 'live';
  const reception = new Reception(live ? groups.length : 1, live);
  const consumers: ConsumerDriver[] = live ? await Promise.all(groups.map((group, i) => driver.consumer(stream, { group }, reception.handler(i)))) : [];
  const producer = await driver.producer(stream, workload.ratePerSecond === null ? 'throughput' : 'latency');
  let produced: Produced;
  let consumeStartedAt: number;
  let complete: boolean;
  try {
    if (workload.ratePerSecond !== null) {
      produced = await produceAtRate({ producer, recordBytes: workload.recordBytes, ratePerSecond: workload.ratePerSecond, seconds: options.rateSeconds, ack });
    } else {
      const [seconds, recordsMax] = live ? [options.produceSeconds, Number.POSITIVE_INFINITY] : [options.backlogSecondsMax, options.backlogRecords];
      produced = await produceMaxRate({ producer, partitions: stream.partitions, recordBytes: workload.recordBytes, seconds, recordsMax, ack });
    }
    consumeStartedAt = produced.startedAt;
    if (!live) {
      consumeStartedAt = performance.now();
      consumers.push(await driver.consumer(stream, 'replay', reception.handler(0)));
    }
    complete = await waitUntil(() => reception.reached(produced.records), options.drainSecondsMax * 1000 * (live ? 1 : 2));
  } finally {
    await Promise.all(consumers.map((consumer) => consumer.stop()));
    await producer.close();
  }
  const dataDirBytes = await directoryBytes(server.dataDir);
  const written = ioWriteBytes(server.pid) - ioBefore;
  const memory = await rss.stop();
  const payloadBytes = produced.records * workload.recordBytes;
  return {
    workload: workload.id,
    system: server.system,
    tier: server.tier,
    durability: server.durability,
    produce: throughput(produced.records, produced.seconds, workload.recordBytes),
    consume: { ...throughput(reception.total(), (reception.lastAt - consumeStartedAt) / 1000, workload.recordBytes), expected: produced.records * Math.max(1, groups.length), complete },
    ackLatency: ack.summary(),
    e2eLatency: reception.e2e.summary(),
    serverRss: { peakMB: memory.peakBytes / 1e6, endMB: memory.lastBytes / 1e6 },
    disk: { ioWriteBytes: written, dataDirBytes, bytesPerPayloadByte: payloadBytes > 0 ? Math.max(written, dataDirBytes) / payloadBytes : 0 },
  };
}
