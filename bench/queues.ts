/**
 * npm run bench:queues: work-queue throughput, receive + ack, with 4 workers, beside Redis Streams
 * XREADGROUP + XACK through ioredis in the same run (Redis from Debian's package, installed when
 * missing, AOF with appendfsync everysec; Spool with flush=never: the page-cache tier of both).
 *
 * Both start from a backlog of N 100-byte messages (Spool: a topic of 4 partitions; Redis: one
 * stream, as a Redis work queue usually is) and stop when every message is acknowledged. Workers
 * take 100 messages per receive and ack each batch in one request.
 */
import { Redis } from 'ioredis';
import { Spool } from '../client/index.js';
import { ensureCommand, commandVersion } from './compare/peers/debian-package.js';
import { startRedis } from './compare/peers/redis-server.js';
import { startBrokerProcess } from './lib/broker-process.js';
import { printReport, ratio, type Row } from './lib/report.js';

const quick = process.argv.includes('--quick');
const MESSAGES = quick ? 50_000 : 200_000;
const WORKERS = 4;
const PER_RECEIVE = 100;
const VALUE = Buffer.alloc(100, 'q');

async function spoolQueue(): Promise<number> {
  const broker = await startBrokerProcess({ flush: 'never' });
  const spool = new Spool({ url: broker.url });
  try {
    await spool.admin.createTopic({ name: 'jobs', partitions: 4 });
    const producer = spool.producer<Buffer>({ codec: 'bytes' });
    for (let i = 0; i < MESSAGES; i++) if (!producer.push('jobs', { value: VALUE })) await producer.drain();
    await producer.close();
    const queue = spool.queue<Buffer>('jobs', 'workers');
    await queue.configure({ visibilityMs: 60_000 });
    let acked = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        while (acked < MESSAGES) {
          const messages = await queue.receive({ max: PER_RECEIVE, waitMs: 100 });
          await Promise.all(messages.map((message) => message.ack()));
          acked += messages.length;
        }
      }),
    );
    return MESSAGES / ((performance.now() - started) / 1000);
  } finally {
    await spool.close();
    await broker.stop();
  }
}

async function redisStreams(command: string): Promise<number> {
  const server = await startRedis(command, 'page-cache');
  const admin = new Redis(server.url);
  try {
    for (let i = 0; i < MESSAGES; i += 1000) {
      const pipeline = admin.pipeline();
      for (let j = i; j < Math.min(MESSAGES, i + 1000); j++) pipeline.xadd('jobs', '*', 'v', VALUE);
      await pipeline.exec();
    }
    await admin.xgroup('CREATE', 'jobs', 'workers', '0');
    let acked = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: WORKERS }, async (_, worker) => {
        const connection = new Redis(server.url);
        while (acked < MESSAGES) {
          const answer = (await connection.xreadgroup('GROUP', 'workers', `worker-${worker}`, 'COUNT', PER_RECEIVE, 'BLOCK', 100, 'STREAMS', 'jobs', '>')) as Array<[string, Array<[string, string[]]>]> | null;
          const ids = answer?.[0]?.[1].map(([id]) => id) ?? [];
          if (ids.length > 0) await connection.xack('jobs', 'workers', ...ids);
          acked += ids.length;
        }
        connection.disconnect();
      }),
    );
    return MESSAGES / ((performance.now() - started) / 1000);
  } finally {
    admin.disconnect();
    await server.stop();
  }
}

const spoolRate = await spoolQueue();
const redisCommand = ensureCommand('redis-server', 'redis-server');
const redisRate = redisCommand ? await redisStreams(redisCommand) : null;
const rows: Row[] = [
  { system: 'Redis Streams XREADGROUP + XACK (reference)', version: redisCommand ? commandVersion(redisCommand) : 'n/a', 'messages/s': redisRate, 'vs Redis': redisRate ? 1 : null },
  { system: 'Spool queue receive + ack', version: 'this build', 'messages/s': spoolRate, 'vs Redis': redisRate ? ratio(spoolRate, redisRate) : null },
];
printReport({ bench: 'queues', quick, messages: MESSAGES, workers: WORKERS, perReceive: PER_RECEIVE, rows }, { save: !quick });
