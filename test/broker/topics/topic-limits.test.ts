/** Caps on topics and on partitions in total (small caps via BuildOptions.limits). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker({ limits: { topicsMax: 3, partitionsMax: 10 } });
});
afterAll(async () => broker.close());

const create = (name: string, partitions: number) => call(`${broker.url}/v1/topics`, { method: 'POST', json: { name, partitions } });
const remove = (name: string) => call(`${broker.url}/v1/topics/${name}`, { method: 'DELETE' });

describe('topic and partition caps', () => {
  it('answers 429 naming partitionsMax or topicsMax, touches nothing, and has room again after a delete', async () => {
    const created = await Promise.all([create('a', 4), create('b', 4), create('c', 4), create('d', 4)]);
    // Concurrent creations reserve their room: two fit in 10 partitions, never three.
    expect(created.map((answer) => answer.status).sort()).toEqual([201, 201, 429, 429]);
    const refused = created.find((answer) => answer.status === 429)!;
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.body.error).toMatchObject({ code: 'SPOOL_ERR_TOO_MANY_PARTITIONS', limit: 'partitionsMax', max: 10 });
    const kept = created.map((answer, i) => (answer.status === 201 ? 'abcd'[i]! : null)).filter((name): name is string => name !== null);
    for (const name of 'abcd'.split('').filter((name) => !kept.includes(name))) expect(existsSync(join(broker.dataDir, 'topics', name))).toBe(false);

    expect((await create('small', 2)).status).toBe(201);
    const tooMany = await create('one-more', 1);
    expect(tooMany.status).toBe(429);
    expect(tooMany.body.error).toMatchObject({ code: 'SPOOL_ERR_TOO_MANY_TOPICS', limit: 'topicsMax', max: 3 });

    expect((await remove(kept[0]!)).status).toBe(204);
    expect((await create('one-more', 4)).status).toBe(201);
  });

  it('counts the topics found at start-up', async () => {
    broker = await broker.restart();
    expect((await create('after-restart', 1)).status).toBe(429);
  });
});
