/**
 * The producer side of a run. Max rate is a closed loop: WINDOW_CHUNKS sends of CHUNK_RECORDS in
 * flight, a new one as soon as one is acknowledged, chunks going to partitions in turn (sticky per
 * chunk, as Kafka's partitioner does for key-less records). Fixed rate is an open loop: records are
 * scheduled at exact times, whatever is due is sent every timer turn (~1 ms), and latency is
 * counted from the scheduled time, so a stalled system is charged for the records it delayed
 * (no coordinated omission).
 */
import type { ProducerDriver } from './driver.js';
import type { LatencyRecorder } from './histogram.js';
import { clockMs, stampedValues } from './payload.js';
import { CHUNK_RECORDS, WINDOW_CHUNKS } from './workloads.js';

export interface Produced {
  records: number;
  /** From the first send to the last acknowledgement. */
  seconds: number;
  startedAt: number;
}

export async function produceMaxRate(options: { producer: ProducerDriver; partitions: number; recordBytes: number; seconds: number; recordsMax: number; ack: LatencyRecorder }): Promise<Produced> {
  const { producer, partitions, recordBytes, ack } = options;
  const startedAt = clockMs();
  const deadline = startedAt + options.seconds * 1000;
  let records = 0;
  let chunks = 0;
  const sender = async () => {
    while (clockMs() < deadline && records < options.recordsMax) {
      const count = Math.min(CHUNK_RECORDS, options.recordsMax - records);
      records += count;
      const sentAt = clockMs();
      await producer.send(chunks++ % partitions, stampedValues(count, recordBytes, sentAt));
      ack.record(clockMs() - sentAt, count);
    }
  };
  await Promise.all(Array.from({ length: WINDOW_CHUNKS }, sender));
  return { records, seconds: (clockMs() - startedAt) / 1000, startedAt };
}

const TICK_MS = 1;

export async function produceAtRate(options: { producer: ProducerDriver; recordBytes: number; ratePerSecond: number; seconds: number; ack: LatencyRecorder }): Promise<Produced> {
  const { producer, recordBytes, ratePerSecond, ack } = options;
  const total = Math.floor(ratePerSecond * options.seconds);
  const intervalMs = 1000 / ratePerSecond;
  const startedAt = clockMs();
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  let failure: unknown = null;
  while (sent < total && failure === null) {
    const due = Math.min(total, Math.floor((clockMs() - startedAt) / intervalMs) + 1);
    if (due > sent) {
      const stamps = Array.from({ length: due - sent }, (_, i) => startedAt + (sent + i) * intervalMs);
      const send = producer.send(0, stampedValues(stamps.length, recordBytes, stamps)).then(
        () => {
          const now = clockMs();
          for (const stamp of stamps) ack.record(now - stamp);
        },
        (error: unknown) => void (failure ??= error),
      );
      inFlight.add(send);
      void send.finally(() => inFlight.delete(send));
      sent = due;
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  await Promise.all(inFlight);
  if (failure !== null) throw failure;
  return { records: sent, seconds: (clockMs() - startedAt) / 1000, startedAt };
}
