/**
 * npm run bench:storage: the log engine alone (no network). Appends 100-byte records in batches of
 * 1000 to one partition with flush=never, then with flush=always from 64 concurrent appenders
 * (group commit), then reads the whole flush=never log back (CRC-checked by the engine), sampling
 * resident memory. Figures are printed beside the disk's sequential write bandwidth and fdatasync
 * latency measured in the same run. Flags: USAGE below (`--help` prints it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecordBatch, LogManager, type PartitionLog } from '../storage/index.js';
import { calibrateDisk } from './lib/disk.js';
import { printReport, type Row } from './lib/report.js';
import { exitOnHelp } from './lib/usage.js';

const USAGE = `Usage: npm run bench:storage [-- options]
The log engine alone (no network): appends with flush=never and with flush=always from 64
appenders, then the read back, beside the disk's write bandwidth and fdatasync latency.

  --quick        small run: ~200 MB per phase (default 2.1 GB flush=never, 1 GB flush=always)
  --dir PATH     where to write (default: a temporary directory under the OS temp dir)`;
exitOnHelp(USAGE);

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const dirFlag = args.indexOf('--dir');
const baseDir = dirFlag >= 0 ? args[dirFlag + 1]! : tmpdir();
const dir = mkdtempSync(join(baseDir, 'spool-bench-storage-'));
const RECORDS_PER_BATCH = 1000;
const neverBytes = quick ? 200e6 : 2.1e9; // the read phase reads this log: >= 2 GB by default
const alwaysBytes = quick ? 200e6 : 1e9;

const template = encodeRecordBatch(Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ value: Buffer.alloc(100, i % 256) })));

async function appendPhase(log: PartitionLog, totalBytes: number, appenders: number) {
  const batches = Math.ceil(totalBytes / template.length);
  let issued = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: appenders }, async () => {
      while (issued < batches) {
        issued++;
        await log.append(Buffer.from(template)); // append rewrites baseOffset in place: give each its copy
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { records: batches * RECORDS_PER_BATCH, bytes: batches * template.length, seconds };
}

async function readPhase(log: PartitionLog) {
  let records = 0;
  let bytes = 0;
  let peakRss = process.memoryUsage().rss;
  let offset = log.logStartOffset;
  const started = performance.now();
  while (offset < log.highWatermark) {
    const read = await log.read(offset, 1024 * 1024);
    for (let at = 0; at < read.data.length; at += 12 + read.data.readInt32BE(at + 8)) records += read.data.readInt32BE(at + 57);
    bytes += read.data.length;
    offset = read.nextOffset;
    if ((records & 0xffff) < RECORDS_PER_BATCH) peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  return { records, bytes, seconds: (performance.now() - started) / 1000, peakRssMB: Math.max(peakRss, process.memoryUsage().rss) / 1e6 };
}

try {
  const disk = calibrateDisk(dir, quick ? 256 * 1024 * 1024 : 1024 * 1024 * 1024);
  const manager = await LogManager.open({ root: join(dir, 'topics') });
  const [neverLog] = await manager.openTopic('never', 1, { flush: 'never' });
  const never = await appendPhase(neverLog!, neverBytes, 4);
  const [alwaysLog] = await manager.openTopic('always', 1, { flush: 'always' });
  const always = await appendPhase(alwaysLog!, alwaysBytes, 64);
  const read = await readPhase(neverLog!);
  await manager.close();

  const perSecond = (phase: { records: number; seconds: number }) => phase.records / phase.seconds;
  const mbPerSecond = (phase: { bytes: number; seconds: number }) => phase.bytes / 1e6 / phase.seconds;
  const rows: Row[] = [
    { phase: 'disk: sequential write (reference)', 'records/s': null, 'MB/s': disk.sequentialWriteMBps, 'vs disk': 1 },
    { phase: 'append, flush=never', 'records/s': perSecond(never), 'MB/s': mbPerSecond(never), 'vs disk': mbPerSecond(never) / disk.sequentialWriteMBps },
    { phase: 'append, flush=always, 64 appenders', 'records/s': perSecond(always), 'MB/s': mbPerSecond(always), 'vs disk': mbPerSecond(always) / disk.sequentialWriteMBps },
    { phase: `read back ${(read.bytes / 1e9).toFixed(2)} GB`, 'records/s': perSecond(read), 'MB/s': mbPerSecond(read), 'vs disk': null },
  ];
  printReport(
    {
      bench: 'storage',
      quick,
      rows,
      disk,
      peakRssWhileReadingMB: Math.round(read.peakRssMB),
      targets: [
        { name: 'append never >= 2,000,000 records/s', measured: Math.round(perSecond(never)), met: perSecond(never) >= 2_000_000 },
        { name: 'append always >= half of never', measured: Number((perSecond(always) / perSecond(never)).toFixed(3)), met: perSecond(always) >= perSecond(never) / 2 },
        { name: 'read >= 3,000,000 records/s', measured: Math.round(perSecond(read)), met: perSecond(read) >= 3_000_000 },
        { name: 'RSS < 200 MB while reading a 2 GB log', measured: Math.round(read.peakRssMB), met: read.peakRssMB < 200 && read.bytes >= 2e9 },
      ],
    },
    { save: !quick },
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
