/**
 * npm run bench:queues: work-queue throughput, receive + ack, beside Redis Streams XREADGROUP +
 * XACK through ioredis in the same run (Redis from Debian's package, installed when missing).
 *
 * Rows, each beside its own Redis reference at the same durability tier:
 *   4 workers, page-cache tier   Spool --flush never   vs Redis appendfsync everysec
 *   4 workers, synced tier       Spool --flush always  vs Redis appendfsync always
 *   64 workers, page-cache tier  both with 64 workers
 *   orderedByKey, 4 workers      Spool's per-key order (1,000 keys); Redis has no such mode, so its
 *                                reference is the plain 4-worker run of the same round
 *   HTTP, 4 workers              Spool's HTTP receive + ack (the fallback and curl's way), beside
 *                                the same plain 4-worker Redis run
 *
 * Spool's workers use a queue session each (`for await` over spool.queue(), messages pushed up to
 * a prefetch of 2 × 100, each acked as it comes: the client sends a turn's acks in one frame),
 * except the HTTP row's, which receive 100 per request and ack each batch in one request.
 *
 * Both start from a backlog of N 100-byte messages (Spool: a topic of 4 partitions; Redis: one
 * stream, as a Redis work queue usually is) and stop when every message is acknowledged. Workers
 * take 100 messages per receive and ack each batch in one request. The machine is shared, so the
 * cases run in interleaved rounds (Spool and Redis alternating who goes first) and each row is the
 * median of its rounds (flags: USAGE below, `--help` prints it).
 * Beside each rate, the CPU per message of the server process and of this (client) process: the
 * figures the load on a shared machine moves little, and for Spool's session rows the session
 * frames per 100 messages and their mean size, by kind and direction (client/queue/session.ts's
 * `spool:queue-session:frame` trace channel).
 *
 * Connection set-up is inside the timed phase for every system alike: each Spool worker's
 * WebSocket upgrade happens at its first `for await` step, each Redis worker's connection is made
 * at its start. (Opening the sessions before the clock would also push each its prefetch before
 * it, 64 × 200 of the 50,000 messages of a quick run.)
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { Spool } from '../client/index.js';
import type { Tier } from './compare/driver.js';
import { ensureCommand, commandVersion } from './compare/peers/debian-package.js';
import { startRedis } from './compare/peers/redis-server.js';
import { SPOOL_FLUSH } from './compare/spool-driver.js';
import { startBrokerProcess } from './lib/broker-process.js';
import { cpuSeconds } from './lib/process-stats.js';
import { printReport, ratio, type Row } from './lib/report.js';
import { exitOnHelp } from './lib/usage.js';

const USAGE = `Usage: npm run bench:queues [-- options]
Work-queue throughput (receive + ack) from a backlog, 4 and 64 workers, page-cache and synced tiers,
beside Redis Streams XREADGROUP + XACK through ioredis in the same run (Redis installed when missing).

  --quick          50,000 messages and 1 round (default 200,000 and 3); not saved unless --save
  --save           save a --quick run's result too
  --case TEXT      only the cases whose name contains TEXT (e.g. synced); the plain 4-worker case
                   always runs (the others' reference)
  BENCH_ROUNDS=N   interleaved rounds, each row the median (default 3; --quick: 1)`;
exitOnHelp(USAGE);

const quick = process.argv.includes('--quick');
const MESSAGES = quick ? 50_000 : 200_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (quick ? 1 : 3));
const PER_RECEIVE = 100;
const KEYS = 1000;
const VALUE = Buffer.alloc(100, 'q');

/** One run: its rate, and the CPU it cost per message in the server and in this (client) process, the figures the load moves little. */
interface Run {
  rate: number;
  serverCpuUs: number;
  clientCpuUs: number;
  /** Session frames per 100 messages, by type and direction (Spool's session rows only). */
  frames?: Record<string, number>;
}

/** Counts the session frames (client/queue/session.ts's trace channel) while `work` runs: per 100 messages, and the mean size of each kind. */
async function countingFrames(work: () => Promise<Run>): Promise<Run> {
  const counts = new Map<string, { frames: number; items: number }>();
  const onFrame = (trace: unknown) => {
    const { direction, type, count } = trace as { direction: string; type: string; count: number };
    const key = `${direction} ${type}`;
    const entry = counts.get(key) ?? { frames: 0, items: 0 };
    entry.frames += 1;
    entry.items += count;
    counts.set(key, entry);
  };
  subscribe('spool:queue-session:frame', onFrame);
  try {
    const run = await work();
    const frames: Record<string, number> = {};
    for (const [key, { frames: n, items }] of counts) {
      frames[`${key} /100 msgs`] = (n * 100) / MESSAGES;
      frames[`${key} size`] = items / n;
    }
    return { ...run, frames };
  } finally {
    unsubscribe('spool:queue-session:frame', onFrame);
  }
}

/** Measures `work` (which settles MESSAGES messages) against the server process `pid`. */
async function measured(pid: number, work: () => Promise<void>): Promise<Run> {
  const serverBefore = cpuSeconds(pid);
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const client = process.cpuUsage(clientBefore);
  return {
    rate: MESSAGES / seconds,
    serverCpuUs: ((cpuSeconds(pid) - serverBefore) * 1e6) / MESSAGES,
    clientCpuUs: (client.user + client.system) / MESSAGES,
  };
}

interface Case {
  name: string;
  workers: number;
  tier: Tier;
  orderedByKey: boolean;
  transport: 'session' | 'http';
}

const ALL_CASES: Case[] = [
  { name: '4 workers, page-cache tier', workers: 4, tier: 'page-cache', orderedByKey: false, transport: 'session' },
  { name: '4 workers, synced tier', workers: 4, tier: 'synced', orderedByKey: false, transport: 'session' },
  { name: '64 workers, page-cache tier', workers: 64, tier: 'page-cache', orderedByKey: false, transport: 'session' },
  { name: 'orderedByKey, 4 workers, page-cache tier', workers: 4, tier: 'page-cache', orderedByKey: true, transport: 'session' },
  { name: 'HTTP receive + ack, 4 workers, page-cache tier', workers: 4, tier: 'page-cache', orderedByKey: false, transport: 'http' },
];
const BASE_CASE = ALL_CASES[0]!;
/** Rows without a Redis run of their own (orderedByKey, HTTP) are set beside the plain 4-worker one. */
const hasOwnReference = (test: Case) => !test.orderedByKey && test.transport === 'session';
/** `--case <text>` (USAGE above): to look at one row while working. */
const only = process.argv.includes('--case') ? process.argv[process.argv.indexOf('--case') + 1] ?? '' : '';
const CASES = ALL_CASES.filter((test) => test.name.includes(only) || test === BASE_CASE);

async function spoolQueue(test: Case): Promise<Run> {
  const broker = await startBrokerProcess({ flush: SPOOL_FLUSH[test.tier] });
  const spool = new Spool({ url: broker.url });
  try {
    await spool.admin.createTopic({ name: 'jobs', partitions: 4 });
    const producer = spool.producer<Buffer>({ codec: 'bytes' });
    for (let i = 0; i < MESSAGES; i++) {
      const record = test.orderedByKey ? { key: `key-${i % KEYS}`, value: VALUE } : { value: VALUE };
      if (!producer.push('jobs', record)) await producer.drain();
    }
    await producer.close();
    await spool.queue('jobs', 'workers').configure({ visibilityMs: 60_000, orderedByKey: test.orderedByKey });
    if (test.transport === 'http') return await measured(broker.pid, () => httpWorkers(spool, test.workers));
    return await countingFrames(() => measured(broker.pid, () => sessionWorkers(spool, test.workers)));
  } finally {
    await spool.close();
    await broker.stop();
  }
}

/** Workers on queue sessions: each acks every message as it comes; done once MESSAGES acks are confirmed. */
async function sessionWorkers(spool: Spool, workers: number): Promise<void> {
  const queues = Array.from({ length: workers }, () => spool.queue<Buffer>('jobs', 'workers', { prefetch: 2 * PER_RECEIVE, visibilityMs: 60_000 }));
  let acked = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const confirmed = () => {
    if (++acked === MESSAGES) finish();
  };
  const running = queues.map(async (queue) => {
    for await (const message of queue) void message.ack().then(confirmed);
  });
  await finished;
  await Promise.all(queues.map((queue) => queue.close()));
  await Promise.all(running);
}

/** Workers over HTTP: 100 per receive, each batch acked in one request. */
async function httpWorkers(spool: Spool, workers: number): Promise<void> {
  const queue = spool.queue<Buffer>('jobs', 'workers', { transport: 'http' });
  let acked = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (acked < MESSAGES) {
        const messages = await queue.receive({ max: PER_RECEIVE, waitMs: 100 });
        await Promise.all(messages.map((message) => message.ack()));
        acked += messages.length;
      }
    }),
  );
}

async function redisStreams(command: string, test: Case): Promise<Run> {
  const server = await startRedis(command, test.tier);
  const admin = new Redis(server.url);
  try {
    for (let i = 0; i < MESSAGES; i += 1000) {
      const pipeline = admin.pipeline();
      for (let j = i; j < Math.min(MESSAGES, i + 1000); j++) pipeline.xadd('jobs', '*', 'v', VALUE);
      await pipeline.exec();
    }
    await admin.xgroup('CREATE', 'jobs', 'workers', '0');
    let acked = 0;
    return await measured(server.pid, async () => {
      await Promise.all(
        Array.from({ length: test.workers }, async (_, worker) => {
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
    });
  } finally {
    admin.disconnect();
    await server.stop();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const redisCommand = ensureCommand('redis-server', 'redis-server');
const redisVersion = redisCommand ? commandVersion(redisCommand) : 'n/a';
const spoolRuns = new Map<Case, Run[]>(CASES.map((test) => [test, []]));
const redisRuns = new Map<Case, Run[]>(CASES.map((test) => [test, []]));
const loads: number[] = [];
const describe = (run: Run | undefined) => (run ? `${Math.round(run.rate)}/s (server ${run.serverCpuUs.toFixed(1)} µs, client ${run.clientCpuUs.toFixed(1)} µs CPU per message)` : 'n/a');
for (let round = 0; round < ROUNDS; round++) {
  for (const test of CASES) {
    // orderedByKey's and HTTP's reference is the plain 4-worker Redis run already measured this round.
    const redisRun = redisCommand && hasOwnReference(test) ? () => redisStreams(redisCommand, test).then((run) => redisRuns.get(test)!.push(run)) : async () => undefined;
    const spoolRun = () => spoolQueue(test).then((run) => spoolRuns.get(test)!.push(run));
    if (round % 2 === 0) {
      await spoolRun();
      await redisRun();
    } else {
      await redisRun();
      await spoolRun();
    }
    const load = loadavg()[0]!;
    loads.push(load);
    console.error(`round ${round + 1}/${ROUNDS} ${test.name}, load ${load.toFixed(1)}: spool ${describe(spoolRuns.get(test)!.at(-1))}, redis ${describe(redisRuns.get(test)!.at(-1))}`);
    const frames = spoolRuns.get(test)!.at(-1)?.frames;
    if (frames) console.error(`  session frames: ${Object.entries(frames).map(([key, value]) => `${key} ${value.toFixed(2)}`).join(', ')}`);
  }
}

const medianOf = (runs: Run[], field: 'rate' | 'serverCpuUs' | 'clientCpuUs') => (runs.length > 0 ? median(runs.map((run) => run[field])) : null);
const rows: Row[] = CASES.map((test) => {
  const reference = hasOwnReference(test) ? test : BASE_CASE;
  const spool = spoolRuns.get(test)!;
  const redis = redisRuns.get(reference)!;
  const spoolRate = medianOf(spool, 'rate')!;
  const redisRate = medianOf(redis, 'rate');
  return {
    case: test.name,
    'Spool messages/s': spoolRate,
    'Redis messages/s': redisRate,
    'vs Redis': redisRate ? ratio(spoolRate, redisRate) : null,
    'broker µs/msg': medianOf(spool, 'serverCpuUs'),
    'redis-server µs/msg': medianOf(redis, 'serverCpuUs'),
    'Spool client µs/msg': medianOf(spool, 'clientCpuUs'),
    'ioredis µs/msg': medianOf(redis, 'clientCpuUs'),
    reference: `Redis ${redisVersion} XREADGROUP + XACK, ${reference.workers} workers, appendfsync ${test.tier === 'synced' ? 'always' : 'everysec'}`,
  };
});
const loadAverage = { min: Math.min(...loads), max: Math.max(...loads) };
console.log(`\nload average (1 min) after each case: ${loadAverage.min.toFixed(1)}-${loadAverage.max.toFixed(1)}; CPU µs per message: user + system of the server process (/proc/<pid>/stat) and of this client process (process.cpuUsage) over the run`);
printReport({ bench: 'queues', quick, messages: MESSAGES, rounds: ROUNDS, perReceive: PER_RECEIVE, loadAverage, rows }, { save: !quick || process.argv.includes('--save') });
