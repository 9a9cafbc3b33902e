/** The producer thread's handle on consumer-worker.ts: load early, start, watch the counts, stop. One per run. */
import { Worker } from 'node:worker_threads';
import type { ServerAddress } from './connect.js';
import type { ToWorker } from './consumer-worker.js';
import type { ConsumeMode, StreamSpec, SystemName } from './driver.js';
import type { LatencySummary } from './histogram.js';

type FromWorker = { type: 'started' } | { type: 'stopped'; e2e: LatencySummary | null } | { type: 'failed'; message: string };

export class ConsumerSide {
  private counters = new Float64Array(new SharedArrayBuffer(8));
  private readonly worker: Worker;
  private failure: Error | null = null;
  private waiting: ((message: FromWorker) => void) | null = null;

  /** Starts the worker loading its modules; connections are made on start(). */
  constructor() {
    this.worker = new Worker(new URL('./consumer-worker.js', import.meta.url));
    this.worker.on('message', (message: FromWorker) => {
      if (message.type === 'failed') this.failure ??= new Error(`consumer: ${message.message}`);
      this.waiting?.(message);
    });
    this.worker.on('error', (error) => {
      this.failure ??= error;
      this.waiting?.({ type: 'failed', message: error.message });
    });
  }

  private ask(message: ToWorker): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      this.waiting = (answer) => {
        this.waiting = null;
        if (answer.type === 'failed') reject(this.failure);
        else resolve(answer);
      };
      this.worker.postMessage(message);
    });
  }

  /** Connects to the server and starts one consumer per mode. */
  async start(options: { system: SystemName; address: ServerAddress; stream: StreamSpec; measureLatency: boolean }, modes: ConsumeMode[]): Promise<void> {
    const counters = new SharedArrayBuffer(8 * (modes.length + 1));
    this.counters = new Float64Array(counters);
    const address = { url: options.address.url, port: options.address.port };
    await this.ask({ type: 'start', setup: { system: options.system, address, stream: options.stream, measureLatency: options.measureLatency, counters }, modes });
  }

  /** Records received by every consumer together. */
  total(): number {
    let sum = 0;
    for (let i = 0; i < this.counters.length - 1; i++) sum += this.counters[i]!;
    return sum;
  }

  /** True once every consumer received `records` (or one failed: waiting longer is pointless). */
  reached(records: number): boolean {
    if (this.failure) return true;
    for (let i = 0; i < this.counters.length - 1; i++) if (this.counters[i]! < records) return false;
    return true;
  }

  /** clockMs() of the latest record received. */
  get lastAtMs(): number {
    return this.counters[this.counters.length - 1]!;
  }

  /** Stops the consumers and the worker; answers their end-to-end latency, or throws what failed. */
  async stop(): Promise<LatencySummary | null> {
    try {
      const answer = await this.ask({ type: 'stop' });
      if (this.failure) throw this.failure;
      return answer.type === 'stopped' ? answer.e2e : null;
    } finally {
      await this.close();
    }
  }

  /** Ends the worker, whatever it was doing (also when the run never started it). */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
