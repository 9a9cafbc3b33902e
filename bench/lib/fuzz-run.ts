/**
 * Runs the requests of fuzz-requests.ts against a broker and checks each answer (shared by
 * `npm run fuzz` and test/reliability/fuzz.test.ts):
 *
 *   - the broker answers (a dropped connection means it crashed or hung);
 *   - never a 5xx;
 *   - every 4xx carries a SPOOL_ERR_* code from the storage or broker registry, with that code's status;
 *   - a rejected write leaves the fixture unchanged: topics, every partition's log (high watermark,
 *     bytes, log start) and the fixture group's committed offsets;
 *   - an accepted produce can be read back as JSON (nothing accepted is a poison pill for consumers).
 *
 * Failures are collected, not thrown, so one run reports all it finds, each with the request.
 */
import fc from 'fast-check';
import { brokerErrors } from '../../broker/errors.js';
import { storageErrors } from '../../storage/index.js';
import { type FuzzFixture, type FuzzRequest, fuzzExamples, fuzzRequest } from './fuzz-requests.js';
import { committedOffsets, ensureTopic, produceJson, request, commitOffsets } from './spool-http.js';

const registry: Record<string, { status: number }> = { ...storageErrors, ...brokerErrors };

export interface FuzzFailure {
  problem: string;
  request: { label: string; method: string; path: string; headers: Record<string, string>; bodyBase64?: string };
}

export interface FuzzOutcome {
  runs: number;
  seed: number;
  accepted: number;
  rejected: number;
  statuses: Record<string, number>;
  codes: Record<string, number>;
  failures: FuzzFailure[];
}

/** A topic with records in every partition, a group with committed offsets and a stream topic with two streams. */
export async function setupFuzzFixture(url: string): Promise<FuzzFixture> {
  const fixture: FuzzFixture = { topic: 'fuzz', partitions: 3, group: 'fuzz-group', streamTopic: 'fuzz-streams', streams: ['order-1', 'order-2'] };
  await ensureTopic(url, fixture.topic, fixture.partitions);
  await produceJson(url, fixture.topic, Array.from({ length: 9 }, (_, i) => ({ key: `k${i}`, value: { i }, partition: i % 3 })));
  await commitOffsets(url, fixture.group, [{ topic: fixture.topic, partition: 0, offset: 1 }]);
  await ensureTopic(url, fixture.streamTopic, 2, { streamIndex: true });
  for (const stream of fixture.streams) {
    const appended = await request(`${url}/v1/topics/${fixture.streamTopic}/streams/${stream}/events`, { method: 'POST', json: { events: [{ type: 'OrderPlaced', data: { stream } }, { type: 'OrderPaid', data: {} }], expectedVersion: 'no_stream' } });
    if (appended.status !== 200) throw new Error(`append to ${stream}: ${appended.status} ${JSON.stringify(appended.body)}`);
  }
  return fixture;
}

/**
 * What a rejected request must leave as it was. The stream topic is compared by its high watermarks
 * and the fixture streams' info, not its bytes: an accepted erase of another stream rewrites
 * segments in the background, after later requests were sent.
 */
async function snapshot(url: string, fixture: FuzzFixture): Promise<string> {
  const topics = (await request(`${url}/v1/topics`)).body.topics;
  const details = (await request(`${url}/v1/topics/${fixture.topic}`)).body.partitionDetails;
  const committed = [...(await committedOffsets(url, fixture.group))];
  const streamTopic = (await request(`${url}/v1/topics/${fixture.streamTopic}`)).body.partitionDetails.map((partition: { highWatermark: number }) => partition.highWatermark);
  const streams = await Promise.all(fixture.streams.map(async (stream) => (await request(`${url}/v1/topics/${fixture.streamTopic}/streams/${stream}`)).body));
  return JSON.stringify({ topics, details, committed, streamTopic, streams });
}

/** Sends one request; a live (SSE) answer is cut once its headers arrived. */
async function send(url: string, fuzz: FuzzRequest): Promise<{ status: number; body: any }> {
  const abort = new AbortController();
  const response = await fetch(`${url}${fuzz.path}`, { method: fuzz.method, headers: fuzz.headers, body: fuzz.body, signal: abort.signal });
  if ((response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    abort.abort();
    return { status: response.status, body: null };
  }
  const text = await response.text();
  try {
    return { status: response.status, body: text.length > 0 ? JSON.parse(text) : null };
  } catch {
    return { status: response.status, body: text };
  }
}

/** Offsets of an accepted produce, per partition, from either answer shape. */
function producedAt(body: any): Array<{ partition: number; baseOffset: number }> {
  if (Array.isArray(body?.partitions)) return body.partitions;
  if (typeof body?.partition === 'number') return [{ partition: body.partition, baseOffset: body.baseOffset }];
  return [];
}

async function check(url: string, fixture: FuzzFixture, fuzz: FuzzRequest, before: string): Promise<{ problem: string | null; status: number; code: string | null }> {
  let answer: { status: number; body: any };
  try {
    answer = await send(url, fuzz);
  } catch (error) {
    return { problem: `no answer (crashed or hung?): ${(error as Error).message}`, status: 0, code: null };
  }
  const { status, body } = answer;
  const code: string | null = body?.error?.code ?? null;
  if (status >= 500) return { problem: `answered ${status}: ${JSON.stringify(body).slice(0, 300)}`, status, code };
  if (status >= 400) {
    if (!code || !registry[code]) return { problem: `answered ${status} without a registered code: ${JSON.stringify(body).slice(0, 300)}`, status, code };
    if (registry[code]!.status !== status) return { problem: `answered ${status} with ${code}, whose status is ${registry[code]!.status}`, status, code };
    if (fuzz.method !== 'GET') {
      const after = await snapshot(url, fixture);
      if (after !== before) return { problem: `rejected with ${code} but changed the fixture: ${before} -> ${after}`, status, code };
    }
    return { problem: null, status, code };
  }
  if (fuzz.label.startsWith('stream append') && fuzz.path.startsWith(`/v1/topics/${fixture.streamTopic}/`)) {
    const read = await request(`${url}${fuzz.path}?limit=10`);
    if (read.status !== 200) return { problem: `accepted, but reading the stream back answers ${read.status}: ${JSON.stringify(read.body).slice(0, 300)}`, status, code };
  }
  if (fuzz.label.startsWith('produce') && fuzz.path.startsWith(`/v1/topics/${fixture.topic}/`)) {
    for (const { partition, baseOffset } of producedAt(body)) {
      const read = await request(`${url}/v1/topics/${fixture.topic}/partitions/${partition}/records?offset=${baseOffset}&format=json`);
      if (read.status !== 200) return { problem: `accepted, but reading it back answers ${read.status}: ${JSON.stringify(read.body).slice(0, 300)}`, status, code };
    }
  }
  return { problem: null, status, code };
}

function describeRequest(fuzz: FuzzRequest): FuzzFailure['request'] {
  return { label: fuzz.label, method: fuzz.method, path: fuzz.path, headers: fuzz.headers, ...(fuzz.body ? { bodyBase64: fuzz.body.toString('base64') } : {}) };
}

export async function runFuzz(options: { url: string; fixture: FuzzFixture; runs: number; seconds?: number; seed?: number }): Promise<FuzzOutcome> {
  const { url, fixture } = options;
  const seed = options.seed ?? Date.now() % 2 ** 31;
  const outcome: FuzzOutcome = { runs: 0, seed, accepted: 0, rejected: 0, statuses: {}, codes: {}, failures: [] };
  let before = await snapshot(url, fixture);
  await fc.assert(
    fc.asyncProperty(fuzzRequest(fixture), async (fuzz) => {
      const { problem, status, code } = await check(url, fixture, fuzz, before);
      outcome.runs++;
      outcome.statuses[status] = (outcome.statuses[status] ?? 0) + 1;
      if (code) outcome.codes[code] = (outcome.codes[code] ?? 0) + 1;
      if (status >= 400) outcome.rejected++;
      else outcome.accepted++;
      if (problem && outcome.failures.length < 50) outcome.failures.push({ problem, request: describeRequest(fuzz) });
      if (status < 400 && fuzz.method !== 'GET') before = await snapshot(url, fixture);
      return true;
    }),
    { numRuns: options.runs, seed, examples: fuzzExamples(fixture).map((example) => [example] as [FuzzRequest]), ...(options.seconds ? { interruptAfterTimeLimit: options.seconds * 1000, markInterruptAsFailure: false } : {}) },
  );
  return outcome;
}
