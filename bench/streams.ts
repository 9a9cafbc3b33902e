/**
 * npm run bench:streams: event-sourcing streams over HTTP against the compiled broker in a child
 * process (flush=never: the page-cache tier), at issue 18's shape, beside a reference measured in
 * the same run:
 *
 *   1. unconditional produce (POST .../records) of one ~200-byte event a request, 64 concurrent
 *      writers, to a topic without index (the reference);
 *   2. the same events as conditional appends (POST .../streams/:stream/events, expectedVersion =
 *      the version the writer read), 64 writers on distinct streams, to a topic with streamIndex;
 *   3. reads of one 100-event stream (forward) and of a stream's last 10 events (backward), p50/p99;
 *   4. broker RSS at the end, then restart with the index intact (SIGTERM, start, first read).
 *
 * Sizes (environment): SPOOL_BENCH_STREAM_EVENTS (default 200,000), SPOOL_BENCH_STREAMS (default
 * 20,000). The issue's size is 10,000,000 events over 1,000,000 streams: at the rates measured here
 * (a few thousand HTTP requests a second on 2 shared cores) each append phase would take about an
 * hour, so it is not the default; the output says which size ran.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { residentBytes, startBrokerProcess } from './lib/broker-process.js';
import { printReport, ratio, type Row } from './lib/report.js';
import { runOwnedWriters } from './lib/stream-writers.js';

const envCount = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a whole number of 1 or more`);
  return value;
};
const EVENTS = envCount('SPOOL_BENCH_STREAM_EVENTS', 200_000);
const STREAMS = envCount('SPOOL_BENCH_STREAMS', 20_000);
const ISSUE_EVENTS = 10_000_000;
const PARTITIONS = 4;
const WRITERS = 64;
const READ_STREAMS = 200;
const READ_SAMPLES = 2_000;
const DATA = { note: 'e'.repeat(150) }; // ~200 bytes a record with key and headers

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

function expectOk(answer: Answer, what: string): void {
  if (answer.status !== 200 && answer.status !== 201) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
}

/** 64 writers on distinct streams; answers events/s. */
async function writePhase(write: (index: number, version: number) => Promise<void>): Promise<number> {
  const { events, seconds } = await runOwnedWriters({ events: EVENTS, streams: STREAMS, writers: WRITERS }, write);
  return events / seconds;
}

async function latencies(samples: number, call: (sample: number) => Promise<void>): Promise<{ p50Ms: number; p99Ms: number }> {
  const times: number[] = [];
  for (let sample = 0; sample < samples; sample++) {
    const started = performance.now();
    await call(sample);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50Ms: times[Math.floor(samples * 0.5)]!, p99Ms: times[Math.floor(samples * 0.99)]! };
}

const dataDir = mkdtempSync(join(tmpdir(), 'spool-bench-streams-http-'));
let broker = await startBrokerProcess({ flush: 'never', dataDir });
let pool = new Pool(broker.url, { connections: WRITERS });
try {
  console.error(`bench:streams: ${EVENTS.toLocaleString('en-US')} events over ${STREAMS.toLocaleString('en-US')} streams${EVENTS < ISSUE_EVENTS ? ' (reduced; the issue\'s size is 10,000,000 over 1,000,000: set SPOOL_BENCH_STREAM_EVENTS and SPOOL_BENCH_STREAMS)' : ''}`);
  expectOk(await send(pool, 'POST', '/v1/topics', { name: 'plain', partitions: PARTITIONS }), 'create plain');
  expectOk(await send(pool, 'POST', '/v1/topics', { name: 'orders', partitions: PARTITIONS, config: { streamIndex: true } }), 'create orders');

  const reference = await writePhase(async (index) => {
    expectOk(await send(pool, 'POST', '/v1/topics/plain/records', { records: [{ key: streamId(index), value: DATA, headers: { 'spool.event.type': 'Happened' } }] }), 'produce');
  });
  const conditional = await writePhase(async (index, version) => {
    const expectedVersion = version < 0 ? 'no_stream' : version;
    expectOk(await send(pool, 'POST', `/v1/topics/orders/streams/${streamId(index)}/events`, { events: [{ type: 'Happened', data: DATA }], expectedVersion }), 'append');
  });

  // Streams of exactly 100 events for the read phase (one append of 100 each).
  const readStream = (i: number) => `read-${i}`;
  for (let i = 0; i < READ_STREAMS; i++) {
    const events = Array.from({ length: 100 }, () => ({ type: 'Happened', data: DATA }));
    expectOk(await send(pool, 'POST', `/v1/topics/orders/streams/${readStream(i)}/events`, { events, expectedVersion: 'no_stream' }), 'append read stream');
  }
  const readOne = async (sample: number, query: string, expected: number) => {
    const answer = await send(pool, 'GET', `/v1/topics/orders/streams/${readStream(sample % READ_STREAMS)}/events${query}`);
    if (answer.status !== 200 || answer.body.events.length !== expected) throw new Error(`read: ${answer.status}, ${answer.body?.events?.length} events`);
  };
  const forward = await latencies(READ_SAMPLES, (sample) => readOne(sample, '?limit=100', 100));
  const backward = await latencies(READ_SAMPLES, (sample) => readOne(sample, '?direction=backward&limit=10', 10));
  const rssMB = (await residentBytes(broker.pid)) / 1e6;

  await pool.close();
  await broker.stop();
  const restartStarted = performance.now();
  broker = await startBrokerProcess({ flush: 'never', dataDir });
  pool = new Pool(broker.url, { connections: WRITERS });
  await readOne(0, '?limit=100', 100);
  const restartSeconds = (performance.now() - restartStarted) / 1000;

  const rows: Row[] = [
    { measure: 'unconditional produce, events/s (reference)', value: reference, target: '', 'vs reference': 1 },
    { measure: 'conditional append, events/s', value: conditional, target: '>= 100,000 and >= 0.25 x reference', 'vs reference': ratio(conditional, reference) },
    { measure: 'read one 100-event stream, p50 ms', value: forward.p50Ms, target: '', 'vs reference': null },
    { measure: 'read one 100-event stream, p99 ms', value: forward.p99Ms, target: '<= 5', 'vs reference': null },
    { measure: 'last 10 events backward, p50 ms', value: backward.p50Ms, target: '', 'vs reference': null },
    { measure: 'last 10 events backward, p99 ms', value: backward.p99Ms, target: '<= 2', 'vs reference': null },
    { measure: 'broker RSS at the end, MB', value: rssMB, target: '<= 300', 'vs reference': null },
    { measure: 'restart with the index intact, s (spawn to first read)', value: restartSeconds, target: '<= 2', 'vs reference': null },
  ];
  printReport({
    bench: 'streams',
    events: EVENTS,
    streams: STREAMS,
    partitions: PARTITIONS,
    writers: WRITERS,
    reduced: EVENTS < ISSUE_EVENTS,
    rows,
    note: 'HTTP, one event a request, broker in a child process with flush=never; EventStoreDB publishes its own figures for context only, not measured here',
  });
} finally {
  await pool.close().catch(() => {});
  await broker.stop().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
}
