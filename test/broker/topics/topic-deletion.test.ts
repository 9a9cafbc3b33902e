/**
 * DELETE /v1/topics/:topic on a real broker frees the topic's disk at once: by the time it answers
 * 204, the broker holds no descriptor on the topic's files (a held descriptor keeps a deleted file's
 * space in use, so a full disk stayed full and produce kept answering 507).
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { call, startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker;
afterEach(async () => broker?.close());

/** Files under `dir` this process (the broker runs in it) holds a descriptor on. */
function descriptorsUnder(dir: string): string[] {
  const held: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir)) held.push(target);
    } catch {
      // closed between the listing and the readlink
    }
  }
  return held;
}

describe('deleting a topic', () => {
  it('closes every descriptor on its files before answering 204', async () => {
    broker = await startBroker({ flush: 'never' });
    const topicDir = join(broker.dataDir, 'topics', 'fill');
    expect((await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'fill', partitions: 2, config: { segmentBytes: 1024 } } })).status).toBe(201);
    const records = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: 'x'.repeat(200) }));
    for (let round = 0; round < 4; round++) expect((await call(`${broker.url}/v1/topics/fill/records`, { method: 'POST', json: { records } })).status).toBe(200);
    for (const partition of [0, 1]) {
      for (let offset = 0; ; ) {
        const fetched = await call(`${broker.url}/v1/topics/fill/partitions/${partition}/records?offset=${offset}&maxBytes=600`);
        expect(fetched.status).toBe(200);
        if (fetched.body.nextOffset >= fetched.body.highWatermark) break;
        offset = fetched.body.nextOffset;
      }
    }
    expect(descriptorsUnder(topicDir).length).toBeGreaterThan(2);
    expect((await call(`${broker.url}/v1/topics/fill`, { method: 'DELETE' })).status).toBe(204);
    expect(descriptorsUnder(topicDir)).toEqual([]);
  });
});
