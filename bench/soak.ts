/**
 * npm run soak (flags: USAGE below, `--help` prints it): a broker in its own process (flush=always)
 * under mixed traffic for N minutes: JSON and raw-batch producers, consumers that follow every partition with
 * long-polls and commit their group offsets. Retention keeps the disk bounded (retentionBytes, a
 * 10 s cleaner), so segments roll and are deleted under load too. Prints the broker's resident
 * memory (VmRSS) every 10 s and, at the end, a table and one JSON line with the whole series: the
 * check is that memory is flat once warm (last minute against the second minute).
 */
import { parseArgs } from 'node:util';
import { Compression, encodeRecordBatch } from '../storage/index.js';
import { residentBytes, startBrokerProcess } from './lib/broker-process.js';
import { printReport } from './lib/report.js';
import { commitOffsets, ensureTopic, produceBatch, produceJson, request } from './lib/spool-http.js';
import { exitOnHelp } from './lib/usage.js';

const USAGE = `Usage: npm run soak [-- options]
A broker in its own process (flush=always, retention on) under mixed produce, follow and commit
traffic; its resident memory every 10 s: the check is that memory is flat once warm.

  --minutes N   how long to run (default 10)`;
exitOnHelp(USAGE);

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' } } });
const minutes = Number(values.minutes);
const TOPIC = 'soak';
const GROUP = 'soak-group';
const PARTITIONS = 8;
const SAMPLE_MS = 10_000;

const broker = await startBrokerProcess({ flush: 'always', extraEnv: { SPOOL_CLEANER_INTERVAL_MS: '10000' } });
await ensureTopic(broker.url, TOPIC, PARTITIONS, { segmentBytes: 8 * 1024 * 1024, retentionBytes: 32 * 1024 * 1024 });

const counts = { produced: 0, consumed: 0, commits: 0, errors: 0 };
const deadline = Date.now() + minutes * 60_000;
const running = () => Date.now() < deadline;
const payload = (n: number) => `record-${n}-`.padEnd(100, 'x');

async function jsonProducer(): Promise<void> {
  for (let n = 0; running(); n++) {
    const answer = await produceJson(broker.url, TOPIC, Array.from({ length: 50 }, (_, i) => ({ key: `k${(n * 50 + i) % 1000}`, value: payload(n) })));
    if (answer.status === 200) counts.produced += 50;
    else counts.errors++;
  }
}

async function batchProducer(index: number): Promise<void> {
  for (let n = 0; running(); n++) {
    const records = Array.from({ length: 100 }, (_, i) => ({ key: null, value: Buffer.from(payload(n * 100 + i)) }));
    const batch = encodeRecordBatch(records, { compression: n % 4 === 0 ? Compression.gzip : Compression.none });
    const answer = await produceBatch(broker.url, TOPIC, (index + n) % PARTITIONS, batch);
    if (answer.status === 200) counts.produced += 100;
    else counts.errors++;
  }
}

/** Follows its partitions from the log start, long-polling at the end, committing as it goes. */
async function consumer(partitions: number[]): Promise<void> {
  const next = new Map(partitions.map((partition) => [partition, 0]));
  for (let round = 0; running(); round++) {
    for (const partition of partitions) {
      const answer = await request(`${broker.url}/v1/topics/${TOPIC}/partitions/${partition}/records?offset=${next.get(partition)}&maxWaitMs=100&maxBytes=262144`);
      if (answer.status === 416) {
        next.set(partition, answer.body.error.logStartOffset); // retention passed us: skip ahead, as a consumer would
        continue;
      }
      if (answer.status !== 200) {
        counts.errors++;
        continue;
      }
      counts.consumed += answer.body.records.length;
      next.set(partition, answer.body.nextOffset);
    }
    if (round % 5 === 0) {
      const commit = await commitOffsets(broker.url, GROUP, partitions.map((partition) => ({ topic: TOPIC, partition, offset: next.get(partition)! })));
      if (commit.status === 200) counts.commits++;
      else counts.errors++;
    }
  }
}

const series: Array<{ seconds: number; rssMB: number; produced: number; consumed: number }> = [];
const started = Date.now();
async function sample(): Promise<void> {
  const rssMB = Math.round((await residentBytes(broker.pid)) / 1024 / 102.4) / 10;
  const point = { seconds: Math.round((Date.now() - started) / 1000), rssMB, produced: counts.produced, consumed: counts.consumed };
  series.push(point);
  console.error(`${String(point.seconds).padStart(5)} s  RSS ${rssMB.toFixed(1)} MB  produced ${counts.produced}  consumed ${counts.consumed}  commits ${counts.commits}  errors ${counts.errors}`);
}
await sample();
const sampler = setInterval(() => void sample(), SAMPLE_MS);
await Promise.all([
  jsonProducer(),
  jsonProducer(),
  batchProducer(0),
  batchProducer(1),
  consumer([0, 1, 2, 3]),
  consumer([4, 5, 6, 7]),
]);
clearInterval(sampler);
await sample();
await broker.stop();

const inWindow = (from: number, to: number) => series.filter((point) => point.seconds >= from && point.seconds < to).map((point) => point.rssMB);
const mean = (list: number[]) => (list.length === 0 ? 0 : list.reduce((a, b) => a + b, 0) / list.length);
const totalSeconds = series[series.length - 1]!.seconds;
const warm = inWindow(60, 120);
const last = inWindow(Math.max(0, totalSeconds - 60), totalSeconds + 1);
const growthMB = mean(last) - mean(warm);
printReport({
  bench: 'soak',
  minutes,
  rows: [
    { window: 'first minute', 'RSS MB (mean)': mean(inWindow(0, 60)), 'RSS MB (max)': Math.max(...inWindow(0, 60)) },
    { window: 'second minute (warm)', 'RSS MB (mean)': mean(warm), 'RSS MB (max)': Math.max(...warm, 0) },
    { window: 'last minute', 'RSS MB (mean)': mean(last), 'RSS MB (max)': Math.max(...last, 0) },
  ],
  ...counts,
  producedPerSecond: Math.round(counts.produced / totalSeconds),
  rssFirstMinuteMB: inWindow(0, 60),
  rssLastMinuteMB: last,
  rssGrowthAfterWarmMB: Math.round(growthMB * 10) / 10,
  flat: growthMB <= Math.max(10, mean(warm) * 0.1),
  series: series.map(({ seconds, rssMB }) => [seconds, rssMB]),
});
