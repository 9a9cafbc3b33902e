/**
 * npm run bench:compare: Spool side by side with Redis Streams and NATS JetStream, real servers from
 * Debian's packages on loopback (installed with apt-get when missing), each started fresh for every
 * run with a temporary data directory, beside the machine's own limits measured in the same run
 * (disk bandwidth, fdatasync latency, loopback HTTP). Workloads in compare/workloads.ts, durability
 * tiers in compare/systems.ts, flags in compare/options.ts (COMPARE_USAGE, which `--help` prints).
 *
 * Every client runs in this process (Spool through its own TypeScript client, Redis through
 * ioredis, NATS through nats.js): the producer on the main thread, the consumers in a worker thread
 * with their own connections (compare/consumer-worker.ts), as a producing and a consuming service
 * would be. Every server runs in its own process. The machine has 2 cores for all three.
 */
import type { ServerHandle, SystemName, Tier } from './compare/driver.js';
import { calibrate } from './compare/calibration.js';
import { ConsumerSide } from './compare/consumer-side.js';
import { COMPARE_USAGE, parseOptions } from './compare/options.js';
import { REDIS_FSYNC } from './compare/peers/redis-server.js';
import { type RunResult, runWorkload } from './compare/runner.js';
import { SPOOL_FLUSH } from './compare/spool-driver.js';
import { type RunFailure, publish } from './compare/summary.js';
import { preparePeers, startSystem, TIERS } from './compare/systems.js';
import { WORKLOADS } from './compare/workloads.js';
import { formatNumber } from './lib/report.js';
import { exitOnHelp } from './lib/usage.js';

exitOnHelp(COMPARE_USAGE);
const options = parseOptions(process.argv.slice(2));
const startedAt = performance.now();
const peers = preparePeers(options.systems);
console.log(`versions: ${Object.entries(peers.versions).map(([name, version]) => `${name} ${version}`).join(', ')}`);
for (const [what, why] of Object.entries(peers.unavailable)) console.log(`${what}: ${why}`);

// A server outlives this process unless stopped: stop the running one on Ctrl-C and on a crash.
const running = new Set<ServerHandle>();
function stopServersAndExit(code: number): void {
  void Promise.allSettled([...running].map((server) => server.stop())).then(() => process.exit(code));
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stopServersAndExit(130));
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.once(event, (error: unknown) => {
    console.error(error);
    stopServersAndExit(1);
  });
}

console.log(`calibrating: disk (${options.diskCalibrationBytes / 2 ** 20} MiB), loopback HTTP (${options.httpSeconds} s x 2)`);
const calibration = await calibrate(options);
console.log(
  `disk ${formatNumber(calibration.disk.sequentialWriteMBps)} MB/s (${calibration.disk.tool}), fdatasync p50 ${calibration.disk.fdatasyncP50Ms.toFixed(2)} ms; bare fastify ${formatNumber(calibration.http.requestsPerSecond)} requests/s`,
);

/** A run that takes longer than this has hung (a consumer that never stops): it is abandoned. */
const runTimeoutMs = (options.produceSeconds + options.rateSeconds + options.backlogSecondsMax + options.drainSecondsMax + options.replaySecondsMax) * 1000 + 60_000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish in ${ms / 1000} s`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function runOne(workload: (typeof WORKLOADS)[number], system: SystemName, tier: Tier): Promise<RunResult> {
  const consumers = new ConsumerSide();
  const sut = await startSystem(system, tier, peers).catch(async (error: unknown) => {
    await consumers.close();
    throw error;
  });
  running.add(sut.server);
  try {
    return await withTimeout(runWorkload(workload, sut, options, consumers), runTimeoutMs, `${workload.id} ${system} ${tier}`);
  } finally {
    await consumers.close();
    await withTimeout(sut.driver.close(), 10_000, 'closing the client').catch(() => undefined);
    await sut.server.stop();
    running.delete(sut.server);
  }
}

const results: RunResult[] = [];
const failures: RunFailure[] = [];
for (const workload of WORKLOADS.filter((w) => options.workloads.includes(w.id))) {
  for (const tier of TIERS) {
    for (const system of options.systems) {
      if (peers.unavailable[`${system}/${tier}`]) continue;
      const label = `${workload.id.padEnd(6)} ${tier.padEnd(10)} ${system.padEnd(5)}`;
      try {
        const result = await runOne(workload, system, tier);
        results.push(result);
        const e2e = result.e2eLatency ? `, e2e p99 ${result.e2eLatency.p99Ms.toFixed(2)} ms` : '';
        console.log(
          `${label} produce ${formatNumber(result.produce.recordsPerSecond)} rec/s, consume ${formatNumber(result.consume.recordsPerSecond)} rec/s${result.consume.complete ? '' : ' (incomplete)'}, ack p99 ${result.ackLatency?.p99Ms.toFixed(2)} ms${e2e}`,
        );
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        failures.push({ workload: workload.id, system, tier, error: message });
        console.log(`${label} failed: ${message}`);
      }
    }
  }
}

const notes = [
  `Durability tiers are never mixed. page-cache: Spool (spool and spool-kafka) --flush ${SPOOL_FLUSH['page-cache']}, Redis appendfsync ${REDIS_FSYNC['page-cache']}, NATS JetStream defaults. synced: Spool --flush ${SPOOL_FLUSH.synced}, Redis appendfsync ${REDIS_FSYNC.synced}.`,
  ...Object.entries(peers.unavailable).map(([what, why]) => `${what}: ${why}.`),
  'Each run starts a fresh server with an empty temporary data directory. Clients run in the benchmark process (producer on the main thread, consumers in a worker thread with their own connections), every server in its own process; 2 cores for all.',
  'Max rate: 8 sends of 1000 records in flight (Redis: one XADD pipeline each; NATS: 1000 publishes acknowledged asynchronously, as nats.go\'s PublishAsync; Spool: one producer.send(); spool-kafka: one KafkaJS producer.send(), acks=-1). W2@10k is an open loop: latency counts from each record\'s scheduled time, sent on ~1 ms timer turns.',
  'Consumers: Spool group consumer (replay: no group, from earliest); spool-kafka: KafkaJS group consumer, eachBatch (replay: a fresh group never committing, since KafkaJS has no consumer without one); Redis XREADGROUP COUNT 1000 with XACK per batch (replay: XRANGE COUNT 1000); NATS durable pull consumer, AckAll every 500 (replay: ordered consumer).',
  `W5 produces up to ${formatNumber(options.backlogRecords)} records (at most ${options.backlogSecondsMax} s of producing), then replays them from the start.`,
  'The machine is shared (another engineer runs tests on it): figures vary by 10-30% between runs.',
];
publish({ command: `npm run bench:compare${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`, options, versions: peers.versions, durability: { ...Object.fromEntries(Object.entries(SPOOL_FLUSH).flatMap(([tier, flush]) => [[`spool/${tier}`, `--flush ${flush}`], [`spool-kafka/${tier}`, `--flush ${flush}`]])), ...Object.fromEntries(Object.entries(REDIS_FSYNC).map(([tier, fsync]) => [`redis/${tier}`, `appendfsync ${fsync}`])), 'nats/page-cache': 'JetStream defaults' }, calibration, results, failures, notes }, peers);
console.log(`bench:compare took ${((performance.now() - startedAt) / 1000).toFixed(0)} s`);
process.exit(failures.length > 0 ? 1 : 0);
