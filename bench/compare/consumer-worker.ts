/**
 * The consumer side of a run, in a worker thread with its own connections (as a consuming service
 * would be its own process): it counts the records each consumer receives into shared memory the
 * producer's thread reads, and keeps the end-to-end latency histogram. Driven by consumer-side.ts.
 *
 *   in:  { type: 'start', modes }            out: { type: 'started' }
 *   in:  { type: 'stop' }                    out: { type: 'stopped', e2e }
 *                                            out: { type: 'failed', message } on any error
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connectDriver, type ServerAddress } from './connect.js';
import type { ConsumeMode, ConsumerDriver, StreamSpec, SystemName } from './driver.js';
import { LatencyRecorder } from './histogram.js';
import { clockMs, readStamp } from './payload.js';

export interface ConsumerWorkerData {
  system: SystemName;
  address: ServerAddress;
  stream: StreamSpec;
  measureLatency: boolean;
  /** Float64 slots: records received by consumer i at [i], clockMs() of the latest at [last]. */
  counters: SharedArrayBuffer;
}

export type ToWorker = { type: 'start'; modes: ConsumeMode[] } | { type: 'stop' };

const data = workerData as ConsumerWorkerData;
const port = parentPort!;
const counters = new Float64Array(data.counters);
const lastAt = counters.length - 1;
const driver = connectDriver(data.system, data.address);
const e2e = new LatencyRecorder();
let consumers: ConsumerDriver[] = [];

function handler(index: number): (value: Uint8Array) => void {
  return (value) => {
    const now = clockMs();
    counters[index]!++;
    counters[lastAt] = now;
    if (data.measureLatency) e2e.record(now - readStamp(value));
  };
}

port.on('message', (message: ToWorker) => {
  const work =
    message.type === 'start'
      ? Promise.all(message.modes.map((mode, i) => driver.consumer(data.stream, mode, handler(i)))).then((started) => {
          consumers = started;
          port.postMessage({ type: 'started' });
        })
      : Promise.all(consumers.map((consumer) => consumer.stop()))
          .finally(() => driver.close())
          .then(() => port.postMessage({ type: 'stopped', e2e: e2e.summary() }));
  work.catch((error: unknown) => port.postMessage({ type: 'failed', message: error instanceof Error ? error.message : String(error) }));
});
