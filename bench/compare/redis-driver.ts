/**
 * Redis Streams through ioredis, used the way its docs recommend for throughput:
 * - produce: XADD pipelined, one pipeline per send() (the workload sends 1000 records at a time),
 *   several pipelines in flight on one connection;
 * - consume in a group: XREADGROUP ... COUNT 1000 BLOCK 100 over all the streams on one connection
 *   per group, each batch acknowledged with one XACK sent ahead of the next read (at-least-once,
 *   as Spool's group consumer is);
 * - replay: XRANGE from the start, 1000 entries per call (Redis's cheapest read).
 * Each record is one stream entry with one field `v` holding the value.
 */
import { Redis } from 'ioredis';
import type { ConsumeMode, ConsumerDriver, ProducerDriver, StreamSpec, SystemDriver } from './driver.js';

const READ_COUNT = 1000;
const BLOCK_MS = 100;

const keyOf = (stream: StreamSpec, partition: number) => `${stream.name}:${partition}`;
const keysOf = (stream: StreamSpec) => Array.from({ length: stream.partitions }, (_, p) => keyOf(stream, p));

type Entries = Array<[id: Buffer, fields: Buffer[] | null]>;

export class RedisDriver implements SystemDriver {
  readonly system = 'redis';
  private readonly connections = new Set<Redis>();

  constructor(private readonly port: number) {}

  private connect(): Redis {
    // RESP2: the reply shapes Redis documents for streams (ioredis 6 speaks RESP3 by default).
    const redis = new Redis({ host: '127.0.0.1', port: this.port, protocol: 2, maxRetriesPerRequest: 0 });
    this.connections.add(redis);
    return redis;
  }

  async create(stream: StreamSpec, groups: string[]): Promise<void> {
    const redis = this.connect();
    for (const key of keysOf(stream)) for (const group of groups) await redis.xgroup('CREATE', key, group, '0', 'MKSTREAM');
  }

  async producer(stream: StreamSpec): Promise<ProducerDriver> {
    const redis = this.connect();
    return {
      async send(partition, values) {
        const key = keyOf(stream, partition);
        const pipeline = redis.pipeline();
        for (const value of values) pipeline.xadd(key, '*', 'v', value);
        const results = (await pipeline.exec()) ?? [];
        for (const [error] of results) if (error) throw error;
      },
      close: async () => {
        redis.disconnect();
      },
    };
  }

  async consumer(stream: StreamSpec, mode: ConsumeMode, onValue: (value: Uint8Array) => void): Promise<ConsumerDriver> {
    let stopped = false;
    const loops = mode === 'replay' ? keysOf(stream).map((key) => this.replay(key, onValue, () => stopped)) : [this.readGroup(stream, mode.group, onValue, () => stopped)];
    // A failed read stops its loop; stop() reports it (awaited only there, so it is caught here first).
    const settled = Promise.allSettled(loops);
    return {
      async stop() {
        stopped = true;
        for (const outcome of await settled) if (outcome.status === 'rejected') throw outcome.reason;
      },
    };
  }

  private async readGroup(stream: StreamSpec, group: string, onValue: (value: Uint8Array) => void, stopped: () => boolean): Promise<void> {
    const redis = this.connect();
    const keys = keysOf(stream);
    const args = ['GROUP', group, 'bench', 'COUNT', READ_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', ...keys, ...keys.map(() => '>')];
    while (!stopped()) {
      const reply = (await redis.callBuffer('XREADGROUP', ...args)) as Array<[key: Buffer, entries: Entries]> | null;
      for (const [key, entries] of reply ?? []) {
        const ids: Buffer[] = new Array(entries.length);
        entries.forEach(([id, fields], i) => {
          ids[i] = id;
          if (fields) onValue(fields[1]!);
        });
        if (ids.length > 0) redis.xack(key, group, ...ids).catch((error: Error) => console.error(`XACK failed: ${error.message}`));
      }
    }
    redis.disconnect();
  }

  private async replay(key: string, onValue: (value: Uint8Array) => void, stopped: () => boolean): Promise<void> {
    const redis = this.connect();
    let start = '-';
    while (!stopped()) {
      const entries = (await redis.callBuffer('XRANGE', key, start, '+', 'COUNT', READ_COUNT)) as Entries;
      for (const [, fields] of entries) if (fields) onValue(fields[1]!);
      if (entries.length > 0) start = `(${entries[entries.length - 1]![0].toString('latin1')}`;
      if (entries.length < READ_COUNT) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    redis.disconnect();
  }

  async close(): Promise<void> {
    for (const redis of this.connections) redis.disconnect();
    this.connections.clear();
  }
}
