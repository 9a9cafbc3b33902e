/**
 * Pattern subscriptions (GET /v1/live?pattern=) against deny entries: a pattern that a deny could
 * overlap is refused, and each topic is checked with a normal Read when it joins the tail, topics
 * created (or denied) after subscribing included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type TestBroker } from '../support/broker.js';
import { data, openSse, type SseStream } from '../live/sse-stream.js';
import { admin, bearer, grant, startSecuredBroker, tokenFor } from './support.js';

describe('GET /v1/live?pattern= and deny entries', () => {
  let t: TestBroker;
  let mallory: string;
  const open: SseStream[] = [];
  const createTopic = (name: string) => call(`${t.url}/v1/topics`, { method: 'POST', headers: admin, json: { name, partitions: 1 } });
  const produce = (topic: string, valueString: string) => call(`${t.url}/v1/topics/${topic}/records`, { method: 'POST', headers: admin, json: { records: [{ valueString }] } });
  const allowRead = (name: string) => ({ principal: 'User:mallory', resourceType: 'topic', resourceName: name, patternType: 'prefixed', operation: 'Read', permission: 'allow' });
  const denyAll = (name: string) => ({ principal: 'User:mallory', resourceType: 'topic', resourceName: name, patternType: 'literal', operation: 'All', permission: 'deny' });

  beforeAll(async () => {
    t = await startSecuredBroker();
    mallory = (await tokenFor(t.url, 'mallory')).token;
    await grant(t.url, [allowRead('orders.'), denyAll('orders.secret'), allowRead('logs.')]);
    for (const name of ['orders.public', 'orders.secret', 'logs.open']) await createTopic(name);
    await produce('orders.secret', 'classified');
  });
  afterAll(async () => {
    for (const stream of open) stream.close();
    await t.close();
  });

  it('refuses a pattern a deny entry overlaps, as the direct read and ?topic= are refused', async () => {
    for (const query of ['pattern=orders.*', 'pattern=orders.secret', 'pattern=orders.%23', 'topic=orders.secret']) {
      const answer = await call(`${t.url}/v1/live?${query}&from=earliest`, { headers: bearer(mallory) });
      expect(answer.status, query).toBe(403);
      expect(answer.body.error.code).toBe('SPOOL_ERR_FORBIDDEN');
    }
    expect((await call(`${t.url}/v1/topics/orders.secret/partitions/0/records?offset=0`, { headers: bearer(mallory) })).status).toBe(403);
  });

  it('leaves out a topic denied after subscribing when it joins the tail', async () => {
    const stream = await openSse(`${t.url}/v1/live?pattern=logs.*&from=earliest`, bearer(mallory));
    open.push(stream);
    expect(stream.status).toBe(200);
    expect(data(await stream.next((event) => event.event === 'follow'))).toEqual([{ topic: 'logs.open', partition: 0, offset: 0 }]);
    await grant(t.url, [denyAll('logs.hidden')]);
    await createTopic('logs.hidden');
    await produce('logs.hidden', 'hidden');
    await createTopic('logs.later');
    await produce('logs.later', 'visible');
    const [record] = await stream.records(1);
    expect(data(record)).toMatchObject({ topic: 'logs.later', value: 'visible' });
  });
});
