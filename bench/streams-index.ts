/**
 * npm run bench:streams-index: the stream index alone (storage engine, no network), at the issue's
 * shape: events of ~200 bytes over many streams in 4 partitions, flush=never (page-cache tier).
 *
 *   1. unconditional appends of one event each, 64 concurrent writers, to a topic without index
 *      (the reference, same run);
 *   2. the same events as conditional appends (expectedVersion = the version the writer knows,
 *      writers own distinct streams) to a topic with streamIndex;
 *   3. lookups of one stream's offsets (what a read of one stream or of its last 10 events costs
 *      before fetching), p50/p99;
 *   4. restart with the index intact (close, open, first lookup in every partition), and the open
 *      alone (restartOpenSeconds: the key tables load at first use).
 *
 * Flags: USAGE below (`--help` prints it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { writeHeapSnapshot } from 'node:v8';
import { join } from 'node:path';
import { encodeRecordBatch, LogManager, partitionForKey, type PartitionLog } from '../storage/index.js';
import { printReport, type Row } from './lib/report.js';
import { runOwnedWriters } from './lib/stream-writers.js';
import { exitOnHelp } from './lib/usage.js';

const USAGE = `Usage: npm run bench:streams-index [-- options]
The stream index alone (storage engine, no network, flush=never): conditional appends beside
unconditional ones (the reference), stream lookups p50/p99, restart with the index intact, memory.

  --events N         events (default 2000000)
  --streams N        streams they go to (default 200000)
  --full             the issue's size: 10 M events over 1 M streams (overrides --events, --streams)
  --no-reference     skip the unconditional reference (half the run, for memory and restart
                     figures at large sizes)
  --segment-bytes N  segment size (default the topic default, 128 MiB: 2 M events roll no
                     segment; 32 MiB rolls ~3 a partition)
  --heap-snapshots   write a heap snapshot after the first roll and one at the end
  Run under node --expose-gc to also print the memory after a full GC (live memory apart from
  what the allocator keeps).`;
exitOnHelp(USAGE);

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const full = args.includes('--full');
const withReference = !args.includes('--no-reference');
const EVENTS = full ? 10_000_000 : flag('--events', 2_000_000);
const STREAMS = full ? 1_000_000 : flag('--streams', 200_000);
const SEGMENT_BYTES = args.includes('--segment-bytes') ? flag('--segment-bytes', 0) : undefined;
const PARTITIONS = 4;
const WRITERS = 64;
const VALUE = Buffer.alloc(200 - 61, 'e'); // ~200 bytes an event with its batch framing

const snapshots = args.includes('--heap-snapshots');
const gc = (globalThis as { gc?: () => void }).gc;

function memoryAfterGc(): NodeJS.MemoryUsage | null {
  if (!gc) return null;
  gc();
  return process.memoryUsage();
}

const streamId = (index: number) => Buffer.from(`order-${index.toString().padStart(8, '0')}`);
const eventOf = (index: number) => encodeRecordBatch([{ key: streamId(index), value: VALUE }]);

function appendPhase(logs: PartitionLog[], conditional: boolean): Promise<{ events: number; seconds: number }> {
  return runOwnedWriters({ events: EVENTS, streams: STREAMS, writers: WRITERS }, async (index, version) => {
    const log = logs[partitionForKey(streamId(index), PARTITIONS)]!;
    const expectedVersion = version < 0 ? ('no_stream' as const) : version;
    await log.append(eventOf(index), conditional ? { stream: { key: streamId(index), expectedVersion } } : {});
  });
}

async function lookupPhase(logs: PartitionLog[], samples: number): Promise<{ p50Ms: number; p99Ms: number; meanEvents: number }> {
  const latencies: number[] = [];
  let events = 0;
  for (let i = 0; i < samples; i++) {
    const index = Math.floor(Math.random() * STREAMS);
    const started = performance.now();
    const { offsets } = await logs[partitionForKey(streamId(index), PARTITIONS)]!.streamOffsets(streamId(index));
    latencies.push(performance.now() - started);
    events += offsets.length;
  }
  latencies.sort((a, b) => a - b);
  return { p50Ms: latencies[Math.floor(samples * 0.5)]!, p99Ms: latencies[Math.floor(samples * 0.99)]!, meanEvents: events / samples };
}

const dir = mkdtempSync(join(tmpdir(), 'spool-bench-streams-'));
try {
  let manager = await LogManager.open({ root: join(dir, 'topics') });
  const plain = await manager.openTopic('plain', PARTITIONS, { flush: 'never' });
  const reference = withReference ? await appendPhase(plain, false) : { events: 0, seconds: Number.NaN };
  await manager.deleteTopic('plain');
  const streamConfig = { flush: 'never' as const, streamIndex: true, retentionMs: -1, ...(SEGMENT_BYTES ? { segmentBytes: SEGMENT_BYTES } : {}) };
  const streams = await manager.openTopic('orders', PARTITIONS, streamConfig);
  const conditional = await appendPhase(streams, true);
  const lookups = await lookupPhase(streams, 20_000);
  const memory = process.memoryUsage();
  const afterGc = memoryAfterGc();
  if (snapshots) console.error(`heap snapshot at the end: ${writeHeapSnapshot()}`);
  await manager.close();
  const restartStarted = performance.now();
  manager = await LogManager.open({ root: join(dir, 'topics') });
  const reopened = await manager.openTopic('orders', PARTITIONS, streamConfig);
  // Opening loads no key table (each partition's loads at its first use): the two parts apart.
  const openSeconds = (performance.now() - restartStarted) / 1000;
  for (const log of reopened) await log.streamOffsets(streamId(0));
  const restartSeconds = (performance.now() - restartStarted) / 1000;
  const afterRestart = await lookupPhase(reopened, 5_000);
  await manager.close();

  const rate = (phase: { events: number; seconds: number }) => phase.events / phase.seconds;
  const rows: Row[] = [
    // With --no-reference the reference row is left out, not printed as NaN.
    ...(withReference ? [{ phase: 'unconditional append, no index (reference)', 'events/s': rate(reference), 'vs reference': 1 }] : []),
    { phase: 'conditional append (expectedVersion), indexed', 'events/s': rate(conditional), 'vs reference': withReference ? rate(conditional) / rate(reference) : null },
    { phase: `stream lookup p50 / p99 ms (~${lookups.meanEvents.toFixed(0)} events)`, 'events/s': null, 'vs reference': null, p50Ms: lookups.p50Ms, p99Ms: lookups.p99Ms },
    { phase: 'stream lookup after restart p50 / p99 ms', 'events/s': null, 'vs reference': null, p50Ms: afterRestart.p50Ms, p99Ms: afterRestart.p99Ms },
  ];
  printReport({
    bench: 'streams-index',
    events: EVENTS,
    streams: STREAMS,
    partitions: PARTITIONS,
    segmentBytes: SEGMENT_BYTES ?? 'default',
    rows,
    rssMB: Math.round(memory.rss / 1e6),
    // Where it is: the JS heap (objects, strings), and typed arrays/Buffers (the key tables, batches).
    heapUsedMB: Math.round(memory.heapUsed / 1e6),
    arrayBuffersMB: Math.round(memory.arrayBuffers / 1e6),
    // After a full GC (needs --expose-gc): what is live, apart from what the allocator keeps.
    rssAfterGcMB: afterGc ? Math.round(afterGc.rss / 1e6) : null,
    heapUsedAfterGcMB: afterGc ? Math.round(afterGc.heapUsed / 1e6) : null,
    // The heap V8 keeps committed (young generation included), used or not: part of the RSS.
    heapTotalAfterGcMB: afterGc ? Math.round(afterGc.heapTotal / 1e6) : null,
    arrayBuffersAfterGcMB: afterGc ? Math.round(afterGc.arrayBuffers / 1e6) : null,
    peakRssMB: Math.round((process.resourceUsage().maxRSS * 1024) / 1e6),
    loadAverage: loadavg().map((load) => Number(load.toFixed(2))),
    restartOpenSeconds: Number(openSeconds.toFixed(3)),
    restartSeconds: Number(restartSeconds.toFixed(3)),
    note: 'storage engine only; HTTP figures (issue 18 targets) are for bench:streams over the broker',
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
