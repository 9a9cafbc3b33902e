/** Caps on consumer groups and the expiry of idle empty groups, end to end (small limits). */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker({ limits: { groupsMax: 3, groupRetentionMs: 2_000, groupRetentionCheckIntervalMs: 100 } });
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'work', partitions: 2 } });
});
afterAll(async () => broker.close());

const post = (path: string, json: unknown = {}) => call(`${broker.url}${path}`, { method: 'POST', json });
const join = (group: string) => post(`/v1/groups/${group}/members`, { topics: ['work'], sessionTimeoutMs: 60_000 });
const commit = (group: string) => post(`/v1/groups/${group}/offsets`, { offsets: [{ topic: 'work', partition: 0, offset: 0 }] });

describe('consumer group caps and retention', () => {
  it('refuses a new group past groupsMax (join or commit), expires idle empty groups, keeps groups with members', async () => {
    const live = await join('live');
    expect(live.status).toBe(200);
    expect((await commit('idle-1')).status).toBe(200);
    expect((await commit('idle-2')).status).toBe(200);
    for (const answer of [await join('fourth'), await commit('fourth')]) {
      expect(answer.status).toBe(429);
      expect(answer.headers.get('retry-after')).toBe('1');
      expect(answer.body.error).toMatchObject({ code: 'SPOOL_ERR_TOO_MANY_GROUPS', limit: 'groupsMax', max: 3 });
    }
    // Known groups still commit.
    expect((await commit('idle-1')).status).toBe(200);

    // Past groupRetentionMs without a join or commit, the empty groups go, with their offsets.
    await vi.waitFor(async () => expect((await call(`${broker.url}/v1/groups/idle-1`)).status).toBe(404), { timeout: 10_000, interval: 100 });
    await vi.waitFor(async () => expect((await call(`${broker.url}/v1/groups/idle-2`)).status).toBe(404), { timeout: 10_000, interval: 100 });
    expect((await post(`/v1/groups/live/members/${live.body.memberId}/heartbeat`)).status).toBe(200);
    expect((await call(`${broker.url}/v1/groups/live`)).status).toBe(200);
    expect((await join('fourth')).status).toBe(200);
  });
});
