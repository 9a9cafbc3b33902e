/**
 * A sampled live tail (?maxRecordsPerSec=), as the web console opens it: a stream behind by more
 * than its budget skips to the newest records (event `skipped`) instead of sending everything,
 * and the budget refills with time. RateBudget on its own clock checks the arithmetic.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateBudget } from '../../../broker/live/rate-budget.js';
import { call, startBroker, type TestBroker } from '../support/broker.js';
import { data, openSse, type SseStream } from './sse-stream.js';

let broker: TestBroker;
const open: SseStream[] = [];
beforeAll(async () => {
  broker = await startBroker({ flush: 'never' });
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'busy', partitions: 1 } });
});
afterAll(async () => {
  for (const stream of open) stream.close();
  await broker.close();
});

const produce = (count: number) => call(`${broker.url}/v1/topics/busy/records`, { method: 'POST', json: { records: Array.from({ length: count }, (_, i) => ({ valueString: `r${i}` })) } });

describe('GET /v1/topics/:topic/live?maxRecordsPerSec=', () => {
  it('skips to the newest records when behind, then sends only what the budget allows', async () => {
    await produce(1000);
    const stream = await openSse(`${broker.url}/v1/topics/busy/live?from=earliest&maxRecordsPerSec=10`);
    open.push(stream);
    expect(data(await stream.next((event) => event.event === 'skipped'))).toEqual({ topic: 'busy', partition: 0, from: 0, to: 990 });
    const first = await stream.records(10);
    expect(first.map((event) => data(event).offset)).toEqual(Array.from({ length: 10 }, (_, i) => 990 + i));

    await produce(100); // offsets 1000-1099, far more than a quarter of a second's budget
    const skipped = data(await stream.next((event) => event.event === 'skipped'));
    expect(skipped).toMatchObject({ from: 1000 });
    expect(skipped.to).toBeGreaterThanOrEqual(1090);
    const rest = await stream.records(1100 - skipped.to);
    expect(rest.map((event) => data(event).offset).at(-1)).toBe(1099);
  });

  it('refuses a budget that is not a whole number from 1 to 1,000,000', async () => {
    for (const value of ['0', '-1', '1.5', '1000001', 'fast', String(2 ** 53 + 1)]) {
      for (const path of [`/v1/topics/busy/live?maxRecordsPerSec=${value}`, `/v1/live?pattern=busy&maxRecordsPerSec=${value}`]) {
        const answer = await call(`${broker.url}${path}`);
        expect(answer.status, path).toBe(400);
        expect(answer.body.error.code).toBe('SPOOL_ERR_BAD_REQUEST');
      }
    }
  });
});

describe('RateBudget', () => {
  it('starts with a second\'s worth, caps there, and refills with time', () => {
    let nowMs = 0;
    const budget = new RateBudget(100, () => nowMs);
    expect(budget.available()).toBe(100);
    budget.take(100);
    expect(budget.available()).toBe(0);
    nowMs = 250;
    expect(budget.available()).toBe(25);
    nowMs = 10_000;
    expect(budget.available()).toBe(100);
    expect(() => new RateBudget(0)).toThrow(RangeError);
    expect(() => new RateBudget(1.5)).toThrow(RangeError);
  });

  it('waits for a quarter of a second\'s worth before waking the stream', async () => {
    const budget = new RateBudget(40); // a chunk of 10 records, 250 ms
    budget.take(budget.available());
    await budget.ready(new AbortController().signal);
    expect(budget.available()).toBeGreaterThanOrEqual(10);
    const aborted = new AbortController();
    aborted.abort();
    budget.take(budget.available());
    await budget.ready(aborted.signal); // returns at once when the stream is going away
  });
});
