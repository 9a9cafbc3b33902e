/**
 * One workload against one started system: creates the stream, runs producer and consumers,
 * measures, and answers the figures. The caller starts a fresh server for every run, so memory and
 * bytes on disk belong to this workload alone.
 */
import { directoryBytes, ioWriteBytes, ResidentSampler } from '../lib/process-stats.js';
import { ConsumerSide } from './consumer-side.js';
import type { SystemUnderTest } from './driver.js';
import { type LatencySummary, LatencyRecorder } from './histogram.js';
import type { CompareOptions } from './options.js';
import { clockMs } from './payload.js';
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
  const deadline = clockMs() + timeoutMs;
  while (!done()) {
    if (clockMs() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return true;
}

function throughput(records: number, seconds: number, recordBytes: number): Throughput {
  return { records, seconds, recordsPerSecond: seconds > 0 ? records / seconds : 0, MBps: seconds > 0 ? (records * recordBytes) / 1e6 / seconds : 0 };
}

/** `consumers`: a consumer side made before the server started (its worker loads meanwhile). */
export async function runWorkload(workload: Workload, { server, driver }: SystemUnderTest, options: CompareOptions, consumers = new ConsumerSide()): Promise<RunResult> {
  const stream = { name: workload.id.toLowerCase().replace(/[^a-z0-9]/g, ''), partitions: workload.partitions };
  const groups = Array.from({ length: workload.groups }, (_, i) => `group-${i}`);
  await driver.create(stream, groups);
  const rss = new ResidentSampler(server.pid);
  const ioBefore = ioWriteBytes(server.pid);
  const ack = new LatencyRecorder();
  const live = workload.kind === 'live';
  const side = { system: server.system, address: server, stream, measureLatency: live };
  let produced: Produced | null = null;
  let consumeStartedAt = 0;
  let complete = false;
  let e2e: LatencySummary | null = null;
  try {
    if (live) await consumers.start(side, groups.map((group) => ({ group })));
    const producer = await driver.producer(stream, workload.ratePerSecond === null ? 'throughput' : 'latency');
    try {
      if (workload.ratePerSecond !== null) {
        produced = await produceAtRate({ producer, recordBytes: workload.recordBytes, ratePerSecond: workload.ratePerSecond, seconds: options.rateSeconds, ack });
      } else {
        const [seconds, recordsMax] = live ? [options.produceSeconds, Number.POSITIVE_INFINITY] : [options.backlogSecondsMax, options.backlogRecords];
        produced = await produceMaxRate({ producer, partitions: stream.partitions, recordBytes: workload.recordBytes, seconds, recordsMax, ack });
      }
    } finally {
      await producer.close();
    }
    consumeStartedAt = produced.startedAt;
    if (!live) {
      consumeStartedAt = clockMs();
      await consumers.start(side, ['replay']);
    }
    const expected = produced.records;
    complete = await waitUntil(() => consumers.reached(expected), (live ? options.drainSecondsMax : options.replaySecondsMax) * 1000);
  } finally {
    e2e = await consumers.stop();
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
    consume: { ...throughput(consumers.total(), (consumers.lastAtMs - consumeStartedAt) / 1000, workload.recordBytes), expected: produced.records * Math.max(1, groups.length), complete },
    ackLatency: ack.summary(),
    e2eLatency: e2e,
    serverRss: { peakMB: memory.peakBytes / 1e6, endMB: memory.lastBytes / 1e6 },
    disk: { ioWriteBytes: written, dataDirBytes, bytesPerPayloadByte: payloadBytes > 0 ? Math.max(written, dataDirBytes) / payloadBytes : 0 },
  };
}
