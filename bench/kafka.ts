/**
 * npm run bench:kafka: the Kafka listener with real Kafka clients, each figure beside its reference
 * measured in the same run, against a broker in its own process (flush=never: page-cache tier).
 * 100-byte records.
 *
 *   kcat produce   1,000,000 records from a file into one partition   vs Spool's own client produce
 *   kcat consume   the same 1,000,000 records from the beginning      vs Spool's own client replay
 *   @platformatic/kafka produce (sends of 1,000) and Fetch v17 consume
 *   one-record Produce requests, acks=1, 50 in flight over 4 connections
 *                  vs one-record JSON HTTP produce (autocannon, 50 connections)
 *                  vs Redis XADD without pipelining from 50 clients (redis-benchmark, AOF everysec)
 *
 *   KafkaJS group of 4 members replaying a backlog over 8 partitions
 *                  vs Spool's own client group of 4 members replaying the same backlog
 *   Kafka OffsetCommit (simple commits of 1,000 groups, 50 in flight / 4 connections)
 *                  vs HTTP commits (POST /v1/groups/:group/offsets, 50 connections)
 *
 * Targets (issues 15 and 16): kcat produce >= 1,000,000 records/s, kcat consume >= 2,000,000
 * records/s, one-record Kafka produce >= 3x one-record HTTP produce, Kafka group replay
 * >= 1,000,000 records/s, Kafka commits >= 20,000/s. The group backlog is 400,000 records so the
 * run stays under 5 minutes; `--group-records 10000000` replays the 10 M.
 * Flags: USAGE below (`--help` prints it).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool } from '../client/index.js';
import { ensureCommand } from './compare/peers/debian-package.js';
import { startRedis } from './compare/peers/redis-server.js';
import { freePort, residentBytes, startBrokerProcess } from './lib/broker-process.js';
import { load } from './lib/http-load.js';
import { clientGroupReplay, kafkaCommitRate, kafkajsGroupReplay } from './lib/kafka-group-load.js';
import { oneRecordProduce, platformaticConsume, platformaticProduce } from './lib/kafka-load.js';
import { cpuPerMillion, kcatConsume, kcatProduce, writeLines } from './lib/kcat-load.js';
import { printReport, ratio, type Row } from './lib/report.js';
import { clientProduce, clientReplay } from './lib/spool-client-runs.js';
import { exitOnHelp } from './lib/usage.js';

const USAGE = `Usage: npm run bench:kafka [-- options]
The Kafka listener with real Kafka clients (kcat, @platformatic/kafka, KafkaJS) against a broker in
its own process (flush=never), each figure beside Spool's own client, HTTP or Redis in the same run.

  --quick             200,000 kcat records, 100,000 @platformatic/kafka records, 2 s loads,
                      100,000 group records (default 1,000,000, 300,000, 5 s, 400,000); not saved
  --records N         kcat records (default 1000000; --quick: 200000)
  --group-records N   backlog the groups replay (default 400000; --quick: 100000)
  --kcat-only         the kcat rows alone (no reference, no other client), not saved: to iterate on
                      the broker's CPU per record in a minute
  --rounds N          repeat the kcat rows into fresh topics (default 1)
  SPOOL_BENCH_PHASES=1   print when each kcat run was on a --cpu-prof profile's clock`;
exitOnHelp(USAGE);

const quick = process.argv.includes('--quick');
const kcatOnly = process.argv.includes('--kcat-only');
const numberFlag = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const RECORDS = numberFlag('--records', quick ? 200_000 : 1_000_000);
const ROUNDS = numberFlag('--rounds', 1);
const PLATFORMATIC_RECORDS = quick ? 100_000 : 300_000;
const LOAD_SECONDS = quick ? 2 : 5;
const VALUE = Buffer.alloc(100, 'x');
const IN_FLIGHT = 50;
const GROUP_RECORDS = numberFlag('--group-records', quick ? 100_000 : 400_000);
const GROUP_MEMBERS = 4;
const GROUP_PARTITIONS = 8;

function runOutput(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
}

const kcat = ensureCommand('kcat', 'kcat');
const redisServer = ensureCommand('redis-server', 'redis-server');
const redisBenchmark = ensureCommand('redis-benchmark', 'redis-tools');
const kafkaPort = await freePort();
const broker = await startBrokerProcess({ flush: 'never', kafkaPort });
const address = { host: '127.0.0.1', port: kafkaPort };
const spool = new Spool({ url: broker.url });
const work = mkdtempSync(join(tmpdir(), 'spool-bench-kafka-'));
const rows: Row[] = [];
const row = (run: string, rate: number | null, reference: string, referenceRate: number | null, target = '') =>
  rows.push({ run, 'records/s': rate, reference, 'reference/s': referenceRate, ratio: rate !== null && referenceRate ? ratio(rate, referenceRate) : null, target });

try {
  // kcat produce and consume beside Spool's own client, one partition each (--kcat-only: kcat alone).
  const reference = kcatOnly ? null : await clientProduce(spool, 'client', 1, RECORDS, VALUE);
  const referenceReplay = kcatOnly ? null : await clientReplay(spool, 'client', RECORDS);
  await kcatRows(reference, referenceReplay);
  if (!kcatOnly) await otherRows(reference!, referenceReplay!);
} finally {
  const brokerRssMB = (await residentBytes(broker.pid)) / 1e6;
  await spool.close();
  await broker.stop();
  rmSync(work, { recursive: true, force: true });
  printReport({ bench: 'kafka', quick, valueBytes: VALUE.length, records: RECORDS, brokerRssMB, rows }, { save: !quick && !kcatOnly });
}

/** kcat produce then consume, `--rounds` times into fresh topics: the rate beside the reference, then the CPU per 1 M records. */
async function kcatRows(reference: number | null, referenceReplay: number | null): Promise<void> {
  const produceRun = `kcat produce, ${RECORDS.toLocaleString('en-US')} records from a file`;
  const consumeRun = `kcat consume, ${RECORDS.toLocaleString('en-US')} records from the beginning`;
  if (!kcat) {
    row(produceRun, null, 'Spool client produce', reference, 'n/a (no kcat)');
    row(consumeRun, null, 'Spool client replay', referenceReplay, 'n/a (no kcat)');
    return;
  }
  const file = join(work, 'records.txt');
  writeLines(file, RECORDS, VALUE.length);
  for (let round = 1; round <= ROUNDS; round++) {
    const topic = `kcat-${round}`;
    await spool.admin.createTopic({ name: topic, partitions: 1 });
    const produced = await kcatProduce(kcat, address, topic, file, RECORDS, broker.pid);
    const { partitionDetails } = await spool.admin.describeTopic(topic);
    if (partitionDetails[0]!.highWatermark !== RECORDS) throw new Error(`kcat produce: ${partitionDetails[0]!.highWatermark} of ${RECORDS} records`);
    const consumed = await kcatConsume(kcat, address, topic, RECORDS, broker.pid);
    const suffix = ROUNDS > 1 ? ` (round ${round})` : '';
    row(produceRun + suffix, produced.recordsPerSecond, 'Spool client produce', reference, produced.recordsPerSecond >= 1_000_000 ? 'met (>= 1M/s)' : 'missed (>= 1M/s)');
    row(consumeRun + suffix, consumed.recordsPerSecond, 'Spool client replay', referenceReplay, consumed.recordsPerSecond >= 2_000_000 ? 'met (>= 2M/s)' : 'missed (>= 2M/s)');
    for (const [name, run, target] of [['produce', produced, 1_000_000], ['consume', consumed, 2_000_000]] as const) {
      const cpu = cpuPerMillion(run, RECORDS, target);
      rows.push({
        run: `kcat ${name}${suffix}: CPU-s per 1M records, broker + kcat`,
        'records/s': null,
        reference: `${cpu.broker.toFixed(2)} + ${cpu.kcat.toFixed(2)} s, load ${run.load.toFixed(1)}: cores for ${target / 1e6}M/s (this machine: ${availableParallelism()})`,
        'reference/s': cpu.cores,
        ratio: null,
        target: '',
      });
      // SPOOL_BENCH_PHASES: when each run was, on the clock of a --cpu-prof profile, to cut it by phase.
      if (process.env.SPOOL_BENCH_PHASES) console.log(`phase kcat-${name}${suffix} monotonic µs ${run.monotonicUs[0]}-${run.monotonicUs[1]}`);
    }
  }
}

/** Every row after kcat's: @platformatic/kafka, one-record requests, groups and commits. */
async function otherRows(reference: number, referenceReplay: number): Promise<void> {
  // @platformatic/kafka, beside the same Spool client figures.
  await spool.admin.createTopic({ name: 'platformatic', partitions: 1 });
  row(`@platformatic/kafka produce, ${PLATFORMATIC_RECORDS.toLocaleString('en-US')} records`, await platformaticProduce(address, 'platformatic', VALUE, PLATFORMATIC_RECORDS, 1000), 'Spool client produce', reference);
  row('@platformatic/kafka Fetch v17 consume', await platformaticConsume(address, 'platformatic', PLATFORMATIC_RECORDS), 'Spool client replay', referenceReplay);

  // One-record requests: Kafka Produce beside HTTP JSON produce and Redis XADD.
  await spool.admin.createTopic({ name: 'one', partitions: 1 });
  const http = await load({ url: `${broker.url}/v1/topics/one/records`, body: JSON.stringify({ records: [{ valueString: VALUE.toString() }] }), headers: { 'content-type': 'application/json' }, seconds: LOAD_SECONDS, connections: IN_FLIGHT });
  const kafka = await oneRecordProduce(address, 'one', VALUE, { connections: 4, inFlight: IN_FLIGHT, seconds: LOAD_SECONDS });
  let xadd: number | null = null;
  if (redisServer && redisBenchmark) {
    const redis = await startRedis(redisServer, 'page-cache');
    try {
      const requests = String(Math.round((quick ? 2 : 5) * 40_000));
      const out = await runOutput(redisBenchmark, ['-p', String(redis.port), '-c', String(IN_FLIGHT), '-n', requests, '-P', '1', '-q', 'XADD', 'bench', '*', 'v', VALUE.toString()]);
      xadd = Number(/([\d.]+) requests per second/.exec(out)?.[1] ?? NaN);
    } finally {
      await redis.stop();
    }
  }
  const vsHttp = ratio(kafka, http.requestsPerSecond);
  row('one-record Kafka Produce, acks=1, 50 in flight / 4 connections', kafka, 'one-record JSON HTTP produce, 50 connections', http.requestsPerSecond, vsHttp >= 3 ? 'met (>= 3x HTTP)' : 'missed (>= 3x HTTP)');
  row('one-record Kafka Produce (same run)', kafka, 'Redis XADD, 50 clients, no pipelining', xadd);

  // Consumer groups: a KafkaJS group replaying a backlog beside Spool's own client group, and commits.
  await clientProduce(spool, 'group-backlog', GROUP_PARTITIONS, GROUP_RECORDS, VALUE);
  const clientGroup = await clientGroupReplay(spool, 'group-backlog', GROUP_RECORDS, GROUP_MEMBERS);
  const kafkaGroup = await kafkajsGroupReplay(address, 'group-backlog', GROUP_RECORDS, GROUP_MEMBERS);
  const groupRun = `KafkaJS group, ${GROUP_MEMBERS} members, ${GROUP_RECORDS.toLocaleString('en-US')} records / ${GROUP_PARTITIONS} partitions`;
  row(groupRun, kafkaGroup.recordsPerSecond, `Spool client group, ${GROUP_MEMBERS} members`, clientGroup, kafkaGroup.recordsPerSecond >= 1_000_000 ? 'met (>= 1M/s)' : 'missed (>= 1M/s)');
  row(`${groupRun}, from the first record (joins left out)`, kafkaGroup.replayRecordsPerSecond, `Spool client group, ${GROUP_MEMBERS} members`, clientGroup, kafkaGroup.replayRecordsPerSecond >= 1_000_000 ? 'met (>= 1M/s)' : 'missed (>= 1M/s)');
  // The client's own CPU bounds the group before the broker does: 1 M/s needs this many cores for
  // KafkaJS's decoding alone, whatever the broker serves.
  const coresForTarget = 1_000_000 / kafkaGroup.recordsPerClientCpuSecond;
  rows.push({ run: 'KafkaJS group: records per client CPU-second', 'records/s': kafkaGroup.recordsPerClientCpuSecond, reference: `cores KafkaJS needs for 1M/s (this machine: ${availableParallelism()})`, 'reference/s': coresForTarget, ratio: null, target: '' });
  const httpCommits = await load({
    url: `${broker.url}/v1/groups/http-commits/offsets`,
    body: JSON.stringify({ offsets: [{ topic: 'group-backlog', partition: 0, offset: 0 }] }),
    headers: { 'content-type': 'application/json' },
    seconds: LOAD_SECONDS,
    connections: IN_FLIGHT,
  });
  if (httpCommits.non2xx > 0) throw new Error(`${httpCommits.non2xx} HTTP commits failed`);
  const kafkaCommits = await kafkaCommitRate(address, 'group-backlog', { groups: 1000, partitions: GROUP_PARTITIONS, connections: 4, inFlight: IN_FLIGHT, seconds: LOAD_SECONDS });
  rows.push({ run: 'Kafka OffsetCommit, 1,000 groups, 50 in flight / 4 connections', 'records/s': null, 'commits/s': kafkaCommits, reference: 'HTTP commit, 50 connections', 'reference/s': httpCommits.requestsPerSecond, ratio: ratio(kafkaCommits, httpCommits.requestsPerSecond), target: kafkaCommits >= 20_000 ? 'met (>= 20,000/s)' : 'missed (>= 20,000/s)' });
}
