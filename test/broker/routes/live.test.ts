import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSse, type SseEvent } from '../live/sse-stream.js';
import { call, startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker();
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'tail', partitions: 2 } });
});
afterAll(async () => broker.close());

/** Reads SSE events until `count` record events arrived, then disconnects. */
async function readEvents(path: string, count: number, headers: Record<string, string> = {}, onOpen?: () => Promise<void>): Promise<SseEvent[]> {
  const stream = await openSse(`${broker.url}${path}`, headers);
  try {
    await onOpen?.();
    return await stream.records(count);
  } finally {
    stream.close();
  }
}

const produce = (values: string[], partition: number) =>
  call(`${broker.url}/v1/topics/tail/records`, { method: 'POST', json: { records: values.map((valueString) => ({ valueString, partition })) } });

describe('live tail (SSE)', () => {
  it('streams records produced after subscribing, with partition:offset ids', async () => {
    const events = await readEvents('/v1/topics/tail/live', 3, {}, async () => {
      await produce(['a', 'b'], 0);
      await produce(['c'], 1);
    });
    expect(events.map((event) => JSON.parse(event.data!).value).sort()).toEqual(['a', 'b', 'c']);
    expect(events.map((event) => event.id).sort()).toEqual(['0:0', '0:1', '1:0']);
  });

  it('resumes after Last-Event-ID without gaps or repeats', async () => {
    await produce(['d', 'e', 'f'], 0);
    const resumed = await readEvents('/v1/topics/tail/live?partition=0', 3, { 'last-event-id': '0:1' });
    expect(resumed.map((event) => event.id)).toEqual(['0:2', '0:3', '0:4']);
    expect(resumed.map((event) => JSON.parse(event.data!).value)).toEqual(['d', 'e', 'f']);
    // Spool's client sends every partition's position; records arriving later follow.
    const both = await readEvents('/v1/topics/tail/live', 3, { 'last-event-id': '0:2,1:0' }, async () => {
      await produce(['g'], 1);
    });
    expect(both.map((event) => event.id).sort()).toEqual(['0:3', '0:4', '1:1']);
  });

  it('refuses a malformed Last-Event-ID', async () => {
    const answer = await call(`${broker.url}/v1/topics/tail/live`, { headers: { 'last-event-id': 'nonsense' } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('SPOOL_ERR_BAD_REQUEST');
  });
});
