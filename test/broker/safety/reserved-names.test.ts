/**
 * Issue 23.1: no request can make the broker unable to shut down or start. The clean-shutdown
 * marker once lived inside the topics folder, so a topic named `.clean-shutdown` bricked the data
 * directory (EISDIR at every shutdown, exit 1 at every start).
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { call, startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

describe('reserved names', () => {
  it('keeps nothing but topic folders in <data>/topics, the marker beside it', async () => {
    broker = await startBroker();
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'orders', partitions: 1 } });
    broker = await broker.restart();
    expect(readdirSync(join(broker.dataDir, 'topics'))).toEqual(['orders']);
    expect(broker.broker.logs.cleanShutdown).toBe(true);
  });

  it('starts and stops cleanly with a folder named like the old marker among the topics', async () => {
    broker = await startBroker();
    // What a topic named `.clean-shutdown` left behind before names starting with "." were refused.
    mkdirSync(join(broker.dataDir, 'topics', '.clean-shutdown'));
    mkdirSync(join(broker.dataDir, 'topics', '.clean-shutdown.tmp'));
    broker = await broker.restart();
    broker = await broker.restart();
    expect(broker.broker.logs.cleanShutdown).toBe(true);
    expect((await call(`${broker.url}/health`)).status).toBe(200);
  });

  it.each(['.clean-shutdown', '.x', 'a/b', 'x'.repeat(250)])('refuses the dead-letter topic %j for a queue, writing nothing', async (deadLetterTopic) => {
    broker = await startBroker();
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'jobs', partitions: 1 } });
    const answer = await call(`${broker.url}/v1/topics/jobs/queues/work`, { method: 'PUT', json: { deadLetterTopic } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('SPOOL_ERR_INVALID_TOPIC_NAME');
    expect(answer.body.error.field).toBe('deadLetterTopic');
    expect((await call(`${broker.url}/v1/topics/jobs/queues/work`)).status).toBe(404);
  });

  it("refuses a queue whose default dead-letter topic (<topic>.dlq) could not be a topic", async () => {
    broker = await startBroker();
    const topic = 'q'.repeat(247);
    expect((await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: topic, partitions: 1 } })).status).toBe(201);
    const answer = await call(`${broker.url}/v1/topics/${topic}/queues/work`, { method: 'PUT', json: {} });
    expect(answer.body.error.code).toBe('SPOOL_ERR_INVALID_TOPIC_NAME');
  });
});
