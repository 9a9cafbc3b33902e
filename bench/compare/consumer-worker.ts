/**
 * The consumer side of a run, in a worker thread with its own connections (as a consuming service
 * would be its own process): it counts the records each consumer receives into shared memory the
 * producer's thread reads, and keeps the end-to-end latency histogram. Driven by consumer-side.ts,
 * which starts the worker while the server starts, so loading modules costs the run nothing.
 *
 *   in:  { type: 'start', setup, modes }     out: { type: 'started' }
 *   in:  { type: 'stop' }                    out: { type: 'stopped', e2e }
 *                                            out: { type: 'failed', message } on any error
 */
import { parentPort } from 'node:worker_threads';
import { connectDriver, type ServerAddress } from './connect.js';
import type { ConsumeMode, ConsumerDriver, StreamSpec, SystemDriver, SystemName } from './driver.js';
import { LatencyRecorder } from './histogram.js';
import { clockMs, readStamp } from './payload.js';

export interface ConsumerSetup {
  system: SystemName;
  address: ServerAddress;
  stream: StreamSpec;
  measureLatency: boolean;
  /** Float64 slots: records received by consumer i at [i], clockMs() of the latest at [last]. */
  counters: SharedArrayBuffer;
}

export type ToWorker = { type: 'start'; setup: ConsumerSetup; modes: ConsumeMode[] } | { type: 'stop' };

const port = parentPort!;
const e2e = new LatencyRecorder();
let driver: SystemDriver | null = null;
let consumers: ConsumerDriver[] = [];

function handler(setup: ConsumerSetup, index: number): (value: Uint8Array) => void {
  const counters = new Float64Array(setup.counters);
  const lastAt = counters.length - 1;
  const measureLatency = setup.measureLatency;
  return (value) => {
    const now = clockMs();
    counters[index]!++;
    counters[lastAt] = now;
    if (measureLatency) e2e.record(now - readStamp(value));
  };
}

async function start(setup: ConsumerSetup, modes: ConsumeMode[]): Promise<void> {
  const connected = (driver = connectDriver(setup.system, setup.address));
  consumers = await Promise.all(modes.map((mode, i) => connected.consumer(setup.stream, mode, handler(setup, i))));
  port.postMessage({ type: 'started' });
}

async function stop(): Promise<void> {
  try {
    await Promise.all(consumers.map((consumer) => consumer.stop()));
  } finally {
    await driver?.close();
  }
  port.postMessage({ type: 'stopped', e2e: e2e.summary() });
}

port.on('message', (message: ToWorker) => {
  const work = message.type === 'start' ? start(message.setup, message.modes) : stop();
  work.catch((error: unknown) => port.postMessage({ type: 'failed', message: error instanceof Error ? error.message : String(error) }));
});
