/**
 * npm run bench:streams: event-sourcing streams against the compiled broker in a child process
 * (flush=never: the page-cache tier), at issue 18's shape, beside a reference measured in the same
 * run:
 *
 *   1. the events as conditional appends through the client (spool.streams(topic).append,
 *      expectedVersion = the version the writer read, 64 writers on distinct streams: the client
 *      coalesces the appends in flight into many-stream requests), and the same events as an
 *      unconditional produce through the client's producer (producer.send, 64 writers: the
 *      producer batches them per partition), the reference; in interleaved rounds, each printed as
 *      it ends, with the broker's and this process's CPU per event (what the load moves least);
 *   2. reads of one 100-event stream (forward) and of a stream's last 10 events (backward) over
 *      HTTP, p50/p99, in turns with a plain fetch of the same 100 records (the reference): streams
 *      written in one append (one batch), and streams written one event an append among 199
 *      others (spread over the partition); then the broker's CPU per read of each;
 *   3. broker RSS at the end, then restarts with the index intact (SIGTERM, start, first read),
 *      each beside the start of an empty broker.
 *
 * Sizes and flags: USAGE below (`--help` prints it). The output says which size ran; progress goes
 * to stderr round by round.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { residentBytes, startBrokerProcess } from './lib/broker-process.js';
import { cpuSeconds } from './lib/process-stats.js';
import { printReport, ratio, type Row } from './lib/report.js';
import { runOwnedWriters } from './lib/stream-writers.js';
import { Spool } from '../client/index.js';
import { exitOnHelp } from './lib/usage.js';

const USAGE = `Usage: npm run bench:streams [-- options]
Event-sourcing streams against the broker in its own process (flush=never): conditional appends
through the client beside unconditional produce, stream reads beside a plain fetch, restarts.

  --events N          events (default 200000)
  --streams N         streams they go to (default 20000)
  --full              the issue's size: 10,000,000 events over 1,000,000 streams (overrides the two above)
  --max-in-flight N   the append coalescer's requests in flight (default the client's)`;
exitOnHelp(USAGE);

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  const value = at >= 0 ? Number(args[at + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a whole number of 1 or more`);
  return value;
};
const full = args.includes('--full');
const EVENTS = full ? 10_000_000 : flag('--events', 200_000);
const STREAMS = full ? 1_000_000 : flag('--streams', 20_000);
const ISSUE_EVENTS = 10_000_000;
/** --max-in-flight (USAGE above): spool.streams' maxInFlight; undefined keeps the client's default. */
const MAX_IN_FLIGHT = args.includes('--max-in-flight') ? flag('--max-in-flight', 1) : undefined;
const PARTITIONS = 4;
const WRITERS = 64;
const READ_STREAMS = 200;
const READ_SAMPLES = 2_000;
const DATA = { note: 'e'.repeat(150) }; // ~200 bytes a record with key and headers
/** Interleaved reference/conditional rounds the events are split into: about a million events each, at least 4. */
const ROUNDS = Math.max(4, Math.ceil(EVENTS / 1_000_000));
/** Events each kind of write sends before anything is measured (see the warm-up below). */
const WARMUP_EVENTS = 20_000;
/** Restarts measured (each beside an empty broker's start); the figures are their means. */
const RESTART_TURNS = 3;
/** maxBytes of the reference fetch: about the 100 records of one read stream (a fetch answers whole batches). */
const READ_REFERENCE_BYTES = 100 * 200;
/** Reads of each kind whose broker CPU is measured (in a block of their own, after the latencies). */
const CPU_READS = 500;

const streamId = (index: number) => `order-${index.toString().padStart(8, '0')}`;

interface Answer {
  status: number;
  body: any;
}

async function send(pool: Pool, method: 'GET' | 'POST', path: string, json?: unknown): Promise<Answer> {
  const answer = await pool.request({ method, path, ...(json !== undefined ? { body: JSON.stringify(json), headers: { 'content-type': 'application/json' } } : {}) });
  const text = await answer.body.text();
  return { status: answer.statusCode, body: text ? JSON.parse(text) : null };
}


/** What one append phase cost: wall time, and CPU of the broker and of this (client) process. */
interface PhaseCost {
  events: number;
  seconds: number;
  brokerCpuSeconds: number;
  clientCpuSeconds: number;
}

const addCosts = (a: PhaseCost, b: PhaseCost): PhaseCost => ({
  events: a.events + b.events,
  seconds: a.seconds + b.seconds,
  brokerCpuSeconds: a.brokerCpuSeconds + b.brokerCpuSeconds,
  clientCpuSeconds: a.clientCpuSeconds + b.clientCpuSeconds,
});
const NO_COST: PhaseCost = { events: 0, seconds: 0, brokerCpuSeconds: 0, clientCpuSeconds: 0 };
const microsecondsPerEvent = (seconds: number, events: number) => (seconds * 1e6) / events;

/** 64 writers on distinct streams, `events` events; `versions` carries the streams' versions between rounds. */
async function writePhase(
  events: number,
  versions: Int32Array,
  write: (index: number, version: number) => Promise<void>,
): Promise<PhaseCost> {
  const brokerBefore = cpuSeconds(broker.pid);
  const clientBefore = process.cpuUsage();
  const run = await runOwnedWriters({ events, streams: STREAMS, writers: WRITERS }, write, versions);
  const client = process.cpuUsage(clientBefore);
  return { events: run.events, seconds: run.seconds, brokerCpuSeconds: cpuSeconds(broker.pid) - brokerBefore, clientCpuSeconds: (client.user + client.system) / 1e6 };
}

interface Percentiles {
  p50Ms: number;
  p99Ms: number;
}

/** Sample i of every call in turn, then sample i + 1: the latencies of each call, p50 and p99. */
async function interleavedLatencies(samples: number, calls: Array<(sample: number) => Promise<void>>): Promise<Percentiles[]> {
  const times = calls.map(() => [] as number[]);
  for (let sample = 0; sample < samples; sample++) {
    for (const [index, call] of calls.entries()) {
      const started = performance.now();
      await call(sample);
      times[index]!.push(performance.now() - started);
    }
  }
  return times.map((list) => {
    list.sort((a, b) => a - b);
    return { p50Ms: list[Math.floor(samples * 0.5)]!, p99Ms: list[Math.floor(samples * 0.99)]! };
  });
}

const dataDir = mkdtempSync(join(tmpdir(), 'spool-bench-streams-http-'));
let broker = await startBrokerProcess({ flush: 'never', dataDir });
let pool = new Pool(broker.url, { connections: WRITERS });
const spool = new Spool({ url: broker.url });
const load = () => loadavg()[0]!.toFixed(1);
const progress = (line: string) => console.error(`bench:streams ${new Date().toISOString().slice(11, 19)} ${line} (load ${load()})`);
try {
  progress(`${EVENTS.toLocaleString('en-US')} events over ${STREAMS.toLocaleString('en-US')} streams in ${ROUNDS} rounds${EVENTS < ISSUE_EVENTS ? ' (reduced; the issue\'s size is --full: 10,000,000 over 1,000,000)' : ''}`);
  for (const name of ['plain', 'warmup']) await spool.admin.createTopic({ name, partitions: PARTITIONS });
  for (const name of ['orders', 'warmup-orders']) await spool.admin.createTopic({ name, partitions: PARTITIONS, config: { streamIndex: true } });
  const producer = spool.producer();

  const freshVersions = () => new Int32Array(STREAMS).fill(-1);
  const produce = (topic: string) => async (index: number) => {
    await producer.send(topic, [{ key: streamId(index), value: DATA, headers: { 'spool.event.type': 'Happened' } }]);
  };
  const append = (topic: string) => {
    const streams = spool.streams(topic, { maxInFlight: MAX_IN_FLIGHT });
    return async (index: number, version: number) => {
      await streams.append(streamId(index), [{ type: 'Happened', data: DATA }], { expectedVersion: version < 0 ? 'no_stream' : version });
    };
  };
  // Warm-up, not measured: the broker's first requests cost several times the later ones (JIT,
  // schema validators compiled at first use); unwarmed, the kind that ran first took all of it.
  const warmEvents = Math.min(WARMUP_EVENTS, EVENTS);
  await writePhase(warmEvents, freshVersions(), produce('warmup'));
  await writePhase(warmEvents, freshVersions(), append('warmup-orders'));
  await spool.admin.deleteTopic('warmup');
  await spool.admin.deleteTopic('warmup-orders');

  // Reference and conditional appends in interleaved rounds: the machine's speed drifts within a
  // minute, and the ratio of each round's pair is what the drift moves least.
  const referenceVersions = freshVersions();
  const conditionalVersions = freshVersions();
  let reference = NO_COST;
  let conditional = NO_COST;
  const roundRatios: number[] = [];
  const loads: number[] = [];
  const requestsBefore = spool.streams('orders').appends.requests;
  for (let round = 0; round < ROUNDS; round++) {
    const events = Math.ceil(EVENTS / ROUNDS);
    loads.push(loadavg()[0]!);
    const referenceRound = await writePhase(events, referenceVersions, produce('plain'));
    const conditionalRound = await writePhase(events, conditionalVersions, append('orders'));
    reference = addCosts(reference, referenceRound);
    conditional = addCosts(conditional, conditionalRound);
    const rate = (cost: PhaseCost) => Math.round(cost.events / cost.seconds).toLocaleString('en-US');
    roundRatios.push(ratio(conditionalRound.events / conditionalRound.seconds, referenceRound.events / referenceRound.seconds));
    progress(`round ${round + 1}/${ROUNDS}: produce ${rate(referenceRound)} events/s, conditional appends ${rate(conditionalRound)} events/s`);
  }
  const manyRequests = spool.streams('orders').appends.requests - requestsBefore;
  loads.push(loadavg()[0]!);
  roundRatios.sort((a, b) => a - b);
  const medianRatio = roundRatios[Math.floor(roundRatios.length / 2)]!;

  // Streams of exactly 100 events for the read phase (one append of 100 each: one batch, whose
  // consecutive offsets a plain fetch reads as the reference).
  const readStream = (i: number) => `read-${i}`;
  const readBatches: Array<{ partition: number; offset: number }> = [];
  for (let i = 0; i < READ_STREAMS; i++) {
    const events = Array.from({ length: 100 }, () => ({ type: 'Happened', data: DATA }));
    const answer = await spool.streams('orders').append(readStream(i), events, { expectedVersion: 'no_stream' });
    readBatches.push({ partition: answer.partition, offset: answer.offsets[0]! });
  }
  // And streams of 100 events written one event an append, round-robin over READ_STREAMS of them:
  // each stream's events are spread over the partition among the others', as in an application.
  const spreadStream = (i: number) => `spread-${i}`;
  for (let version = 0; version < 100; version++) {
    await Promise.all(Array.from({ length: READ_STREAMS }, (_, i) => spool.streams('orders').append(spreadStream(i), [{ type: 'Happened', data: DATA }], { expectedVersion: version === 0 ? 'no_stream' : version - 1 })));
  }
  progress('read streams written; reading');
  const readOne = async (sample: number, query: string, expected: number, name = readStream) => {
    const answer = await send(pool, 'GET', `/v1/topics/orders/streams/${name(sample % READ_STREAMS)}/events${query}`);
    if (answer.status !== 200 || answer.body.events.length !== expected) throw new Error(`read: ${answer.status}, ${answer.body?.events?.length} events`);
  };
  const fetchOne = async (sample: number) => {
    const { partition, offset } = readBatches[sample % READ_STREAMS]!;
    const answer = await send(pool, 'GET', `/v1/topics/orders/partitions/${partition}/records?offset=${offset}&maxBytes=${READ_REFERENCE_BYTES}`);
    if (answer.status !== 200 || answer.body.records.length < 100) throw new Error(`fetch: ${answer.status}, ${answer.body?.records?.length} records`);
  };
  const readCalls = [
    fetchOne,
    (sample: number) => readOne(sample, '?limit=100', 100),
    (sample: number) => readOne(sample, '?direction=backward&limit=10', 10),
    (sample: number) => readOne(sample, '?limit=100', 100, spreadStream),
    (sample: number) => readOne(sample, '?direction=backward&limit=10', 10, spreadStream),
  ];
  // The reads in turns, sample by sample, so the machine's drift falls on all of them alike.
  const reads = await interleavedLatencies(READ_SAMPLES, readCalls);
  const [fetchReference, forward, backward, spreadForward, spreadBackward] = reads as [Percentiles, Percentiles, Percentiles, Percentiles, Percentiles];
  // The broker's CPU per read of each kind, each in a block of its own.
  const readCpu: number[] = [];
  for (const call of readCalls) {
    const before = cpuSeconds(broker.pid);
    for (let sample = 0; sample < CPU_READS; sample++) await call(sample);
    readCpu.push(((cpuSeconds(broker.pid) - before) * 1e6) / CPU_READS);
  }
  const rssMB = (await residentBytes(broker.pid)) / 1e6;
  loads.push(loadavg()[0]!);

  await producer.close();
  await spool.close();
  await pool.close();
  await broker.stop();
  progress('restarting');
  // The restart beside a start of an empty broker, in turns: a process start alone takes 1.5-5 s
  // on this machine when it is loaded, which is not the index's doing.
  let emptyStartSeconds = 0;
  let restartSeconds = 0;
  for (let turn = 0; turn < RESTART_TURNS; turn++) {
    const emptyStarted = performance.now();
    const empty = await startBrokerProcess({ flush: 'never' });
    emptyStartSeconds += (performance.now() - emptyStarted) / 1000 / RESTART_TURNS;
    await empty.stop();
    const restartStarted = performance.now();
    broker = await startBrokerProcess({ flush: 'never', dataDir, startTimeoutMs: 120_000 });
    pool = new Pool(broker.url, { connections: WRITERS });
    await readOne(0, '?limit=100', 100);
    restartSeconds += (performance.now() - restartStarted) / 1000 / RESTART_TURNS;
    if (turn < RESTART_TURNS - 1) {
      await pool.close();
      await broker.stop();
    }
  }

  const us = microsecondsPerEvent;
  const [fetchCpu, forwardCpu, backwardCpu, spreadForwardCpu, spreadBackwardCpu] = readCpu as [number, number, number, number, number];
  const rows: Row[] = [
    { measure: 'unconditional produce (client producer), events/s (reference)', value: reference.events / reference.seconds, target: '', 'vs reference': 1 },
    { measure: 'conditional append (client, coalesced), events/s', value: conditional.events / conditional.seconds, target: '>= 100,000 and >= 0.25 x reference', 'vs reference': medianRatio },
    { measure: 'unconditional produce, broker CPU us/event', value: us(reference.brokerCpuSeconds, reference.events), target: '', 'vs reference': 1 },
    { measure: 'conditional append, broker CPU us/event', value: us(conditional.brokerCpuSeconds, conditional.events), target: '', 'vs reference': ratio(conditional.brokerCpuSeconds / conditional.events, reference.brokerCpuSeconds / reference.events) },
    { measure: 'unconditional produce, bench client CPU us/event', value: us(reference.clientCpuSeconds, reference.events), target: '', 'vs reference': 1 },
    { measure: 'conditional append, bench client CPU us/event', value: us(conditional.clientCpuSeconds, conditional.events), target: '', 'vs reference': ratio(conditional.clientCpuSeconds / conditional.events, reference.clientCpuSeconds / reference.events) },
    { measure: 'conditional append, appends per HTTP request', value: conditional.events / Math.max(1, manyRequests), target: '', 'vs reference': null },
    { measure: 'plain fetch of the same 100 records, p50 ms (reference)', value: fetchReference.p50Ms, target: '', 'vs reference': 1 },
    { measure: 'plain fetch of the same 100 records, p99 ms (reference)', value: fetchReference.p99Ms, target: '', 'vs reference': 1 },
    { measure: 'read one 100-event stream, p50 ms', value: forward.p50Ms, target: '', 'vs reference': ratio(forward.p50Ms, fetchReference.p50Ms) },
    { measure: 'read one 100-event stream, p99 ms', value: forward.p99Ms, target: '<= 5', 'vs reference': ratio(forward.p99Ms, fetchReference.p99Ms) },
    { measure: 'last 10 events backward, p50 ms', value: backward.p50Ms, target: '', 'vs reference': ratio(backward.p50Ms, fetchReference.p50Ms) },
    { measure: 'last 10 events backward, p99 ms', value: backward.p99Ms, target: '<= 2', 'vs reference': ratio(backward.p99Ms, fetchReference.p99Ms) },
    { measure: `read one 100-event stream spread among ${READ_STREAMS}, p50 ms`, value: spreadForward.p50Ms, target: '', 'vs reference': ratio(spreadForward.p50Ms, fetchReference.p50Ms) },
    { measure: `read one 100-event stream spread among ${READ_STREAMS}, p99 ms`, value: spreadForward.p99Ms, target: '<= 5', 'vs reference': ratio(spreadForward.p99Ms, fetchReference.p99Ms) },
    { measure: 'its last 10 events backward, p50 ms', value: spreadBackward.p50Ms, target: '', 'vs reference': ratio(spreadBackward.p50Ms, fetchReference.p50Ms) },
    { measure: 'its last 10 events backward, p99 ms', value: spreadBackward.p99Ms, target: '<= 2', 'vs reference': ratio(spreadBackward.p99Ms, fetchReference.p99Ms) },
    { measure: 'plain fetch of 100 records, broker CPU us/read (reference)', value: fetchCpu, target: '', 'vs reference': 1 },
    { measure: 'read one 100-event stream, broker CPU us/read', value: forwardCpu, target: '', 'vs reference': ratio(forwardCpu, fetchCpu) },
    { measure: 'last 10 events backward, broker CPU us/read', value: backwardCpu, target: '', 'vs reference': ratio(backwardCpu, fetchCpu) },
    { measure: 'spread 100-event stream, broker CPU us/read', value: spreadForwardCpu, target: '', 'vs reference': ratio(spreadForwardCpu, fetchCpu) },
    { measure: 'its last 10 backward, broker CPU us/read', value: spreadBackwardCpu, target: '', 'vs reference': ratio(spreadBackwardCpu, fetchCpu) },
    { measure: 'broker RSS at the end, MB', value: rssMB, target: '<= 300', 'vs reference': null },
    { measure: 'start of an empty broker, s (spawn to /health, reference)', value: emptyStartSeconds, target: '', 'vs reference': 1 },
    { measure: 'restart with the index intact, s (spawn to first read)', value: restartSeconds, target: '<= 2', 'vs reference': ratio(restartSeconds, emptyStartSeconds) },
  ];
  printReport({
    bench: 'streams',
    events: EVENTS,
    streams: STREAMS,
    partitions: PARTITIONS,
    writers: WRITERS,
    reduced: EVENTS < ISSUE_EVENTS,
    rounds: ROUNDS,
    appendRoundRatios: roundRatios,
    loadAverages: loads.map((value) => Number(value.toFixed(1))),
    rows,
    note: 'writes through the client (conditional appends coalesced into many-stream requests; produce batched by the producer), reads over HTTP; broker in a child process with flush=never; EventStoreDB publishes its own figures for context only, not measured here',
  });
} finally {
  await spool.close().catch(() => {});
  await pool.close().catch(() => {});
  await broker.stop().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
}
