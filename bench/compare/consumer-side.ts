/** The producer thread's handle on consumer-worker.ts: start, watch the counts, stop. */
import { Worker } from 'node:worker_threads';
import type { ServerAddress } from './connect.js';
import type { ConsumerWorkerData, ToWorker } from './consumer-worker.js';
import type { ConsumeMode, StreamSpec, SystemName } from './driver.js';
import type { LatencySummary } from './histogram.js';

type FromWorker = { type: 'started' } | { type: 'stopped'; e2e: LatencySummary | null } | { type: 'failed'; message: string };

export class ConsumerSide {
  private readonly counters: Float64Array;
  private readonly worker: Worker;
  private failure: Error | null = null;
  private waiting: ((message: FromWorker) => void) | null = null;

  /** Loads the worker (modules, connections are made on start) for `consumers` consumers. */
  constructor(options: { system: SystemName; address: ServerAddress; stream: StreamSpec; consumers: number; measureLatency: boolean }) {
    const counters = new SharedArrayBuffer(8 * (options.consumers + 1));
    this.counters = new Float64Array(counters);
    const workerData: ConsumerWorkerData = { system: options.system, address: { url: options.address.url, port: options.address.port }, stream: options.stream, measureLatency: options.measureLatency, counters };
    this.worker = new Worker(new URL('./consumer-worker.js', import.meta.url), { workerData });
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

  async start(modes: ConsumeMode[]): Promise<void> {
    await this.ask({ type: 'start', modes });
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
      await this.worker.terminate();
    }
  }
}
