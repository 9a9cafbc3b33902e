/** Consumer groups end to end, against a real broker over HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker();
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'work', partitions: 4 } });
});
afterAll(async () => broker.close());

type TP = { topic: string; partition: number };
const key = (tp: TP) => `${tp.topic}:${tp.partition}`;
const post = (path: string, json: unknown = {}) => call(`${broker.url}${path}`, { method: 'POST', json });
const join = (group: string, body: Record<string, unknown>) => post(`/v1/groups/${group}/members`, { sessionTimeoutMs: 5000, ...body });
const heartbeat = (group: string, memberId: string, revoked: TP[] = []) => post(`/v1/groups/${group}/members/${memberId}/heartbeat`, { revoked });

/** Heartbeats every member cooperatively (revoking what it is asked to) until the group is stable. */
async function settle(group: string, memberIds: string[]): Promise<Map<string, TP[]>> {
  const owned = new Map<string, TP[]>();
  const pending = new Map<string, TP[]>();
  for (let round = 0; round < 6; round++) {
    let rebalancing = false;
    for (const memberId of memberIds) {
      const answer = await heartbeat(group, memberId, pending.get(memberId) ?? []);
      expect(answer.status).toBe(200);
      owned.set(memberId, answer.body.assignments);
      pending.set(memberId, answer.body.revoke);
      rebalancing ||= answer.body.rebalancing;
    }
    if (!rebalancing) break;
  }
  return owned;
}

async function produce(topic: string, count: number, partition?: number, timestamp?: number) {
  const records = Array.from({ length: count }, (_, i) => ({ value: i, ...(partition === undefined ? {} : { partition }), ...(timestamp ? { timestamp } : {}) }));
  expect((await post(`/v1/topics/${topic}/records`, { records })).status).toBe(200);
}

describe('consumer groups over HTTP', () => {
  it('two members split four partitions, each owned by exactly one', async () => {
    const a = (await join('split', { topics: ['work'] })).body;
    const b = (await join('split', { topics: ['work'] })).body;
    const owned = await settle('split', [a.memberId, b.memberId]);
    const ofA = owned.get(a.memberId)!.map(key);
    const ofB = owned.get(b.memberId)!.map(key);
    expect(ofA).toHaveLength(2);
    expect(ofB).toHaveLength(2);
    expect(new Set([...ofA, ...ofB]).size).toBe(4);
    const described = (await call(`${broker.url}/v1/groups/split`)).body;
    expect(described.state).toBe('Stable');
    expect(described.members).toHaveLength(2);
  });

  it('a member that stops heartbeating loses its partitions after sessionTimeoutMs', async () => {
    const a = (await join('expire', { topics: ['work'], sessionTimeoutMs: 1000 })).body;
    const b = (await join('expire', { topics: ['work'], sessionTimeoutMs: 1000 })).body;
    await settle('expire', [a.memberId, b.memberId]);
    const deadline = Date.now() + 1600;
    let owned: TP[] = [];
    while (Date.now() < deadline) {
      owned = (await heartbeat('expire', b.memberId)).body.assignments; // only b keeps heartbeating
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(owned).toHaveLength(4);
    const gone = await heartbeat('expire', a.memberId);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('SPOOL_ERR_UNKNOWN_MEMBER');
  });

  it('a member leaving hands its partitions over at once', async () => {
    const a = (await join('leave', { topics: ['work'] })).body;
    const b = (await join('leave', { topics: ['work'] })).body;
    await settle('leave', [a.memberId, b.memberId]);
    expect((await call(`${broker.url}/v1/groups/leave/members/${a.memberId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await heartbeat('leave', b.memberId)).body.assignments).toHaveLength(4);
  });

  it('fences a commit with a stale generation or for a partition the member does not own', async () => {
    const a = (await join('fence', { topics: ['work'] })).body;
    await produce('work', 3, 0);
    expect((await post('/v1/groups/fence/offsets', { memberId: a.memberId, generation: a.generation, offsets: [{ topic: 'work', partition: 0, offset: 1 }] })).status).toBe(200);
    const b = (await join('fence', { topics: ['work'] })).body;
    const stale = await post('/v1/groups/fence/offsets', { memberId: a.memberId, generation: a.generation, offsets: [{ topic: 'work', partition: 0, offset: 2 }] });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('SPOOL_ERR_FENCED');
    const owned = await settle('fence', [a.memberId, b.memberId]);
    const generation = (await heartbeat('fence', b.memberId)).body.generation;
    const notOwned = owned.get(a.memberId)![0]!;
    const foreign = await post('/v1/groups/fence/offsets', { memberId: b.memberId, generation, offsets: [{ ...notOwned, offset: 0 }] });
    expect(foreign.body.error.code).toBe('SPOOL_ERR_FENCED');
    expect((await call(`${broker.url}/v1/groups/fence/offsets`)).body.offsets).toMatchObject([{ topic: 'work', partition: 0, offset: 1 }]);
  });

  it('commits survive a broker restart', async () => {
    await produce('work', 5, 1);
    expect((await post('/v1/groups/durable/offsets', { offsets: [{ topic: 'work', partition: 1, offset: 4, metadata: 'm' }] })).status).toBe(200);
    broker = await broker.restart();
    const offsets = (await call(`${broker.url}/v1/groups/durable/offsets`)).body.offsets;
    expect(offsets).toMatchObject([{ topic: 'work', partition: 1, offset: 4, metadata: 'm' }]);
    expect((await call(`${broker.url}/v1/groups`)).body.groups.map((g: { name: string }) => g.name)).toContain('durable');
  });

  it('resets to a timestamp, landing on the time index offset; dry runs change nothing', async () => {
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'timed', partitions: 1 } });
    for (let i = 0; i < 10; i++) await produce('timed', 1, 0, 2_000_000 + i * 1000);
    const expected = (await call(`${broker.url}/v1/topics/timed/partitions/0/offsets?timestamp=2004000`)).body.offset;
    expect(expected).toBe(4);
    const dry = await post('/v1/groups/rewind/reset', { topic: 'timed', to: { timestamp: 2_004_000 }, dryRun: true });
    expect(dry.body.partitions).toEqual([{ topic: 'timed', partition: 0, previousOffset: null, newOffset: 4 }]);
    expect((await call(`${broker.url}/v1/groups/rewind/offsets`)).status).toBe(404);
    await post('/v1/groups/rewind/reset', { topic: 'timed', to: { timestamp: 2_004_000 } });
    expect((await call(`${broker.url}/v1/groups/rewind/offsets`)).body.offsets[0].offset).toBe(4);
    const shifted = await post('/v1/groups/rewind/reset', { topic: 'timed', to: { shiftBy: -10 } });
    expect(shifted.body.partitions[0]).toMatchObject({ previousOffset: 4, newOffset: 0 });
    const described = (await call(`${broker.url}/v1/groups/rewind`)).body;
    expect(described.partitions[0]).toMatchObject({ committedOffset: 0, highWatermark: 10, lag: 10 });
    expect(described.partitions[0].lagMs).toBeGreaterThan(0);
  });

  it('a pattern subscription picks up a topic created after the join', async () => {
    const member = (await join('patterns', { pattern: 'metrics.*' })).body;
    expect(member.assignments).toEqual([]);
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'metrics.cpu', partitions: 2 } });
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'metrics.cpu.core0', partitions: 1 } });
    const after = (await heartbeat('patterns', member.memberId)).body;
    expect(after.assignments.map(key).sort()).toEqual(['metrics.cpu:0', 'metrics.cpu:1']);
  });

  it('two groups each read every record (fan-out)', async () => {
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'fan', partitions: 2 } });
    await produce('fan', 20);
    for (const group of ['g1', 'g2']) {
      const member = (await join(group, { topics: ['fan'], offsetReset: 'earliest' })).body;
      expect(member.offsetReset).toBe('earliest');
      let total = 0;
      for (const tp of member.assignments as TP[]) {
        const read = await call(`${broker.url}/v1/topics/fan/partitions/${tp.partition}/records?offset=earliest`);
        total += read.body.records.length;
        await post(`/v1/groups/${group}/offsets`, { memberId: member.memberId, generation: member.generation, offsets: [{ ...tp, offset: read.body.nextOffset }] });
      }
      expect(total).toBe(20);
      expect((await call(`${broker.url}/v1/groups/${group}`)).body.totalLag).toBe(0);
    }
  });

  it('joins with a long pattern among long topics without stalling the broker', async () => {
    // 125 one-letter words: the longest topic name. A backtracking matcher never returned here.
    const longTopic = Array(125).fill('w').join('.');
    expect((await post('/v1/topics', { name: longTopic, partitions: 1 })).status).toBe(201);
    const pattern = `${'#.'.repeat(20)}z`;
    const joined = await join('long-pattern', { pattern });
    expect(joined.status).toBe(200);
    expect(joined.body.assignments).toEqual([]);
    expect((await call(`${broker.url}/health`)).status).toBe(200);
    const tooLong = await join('long-pattern', { pattern: Array(40).fill('#').join('.') });
    expect(tooLong.status).toBe(413);
    expect(tooLong.body.error).toMatchObject({ code: 'SPOOL_ERR_PATTERN_TOO_LONG', limit: 'patternWordsMax', max: 32 });
    expect((await call(`${broker.url}/v1/topics/${longTopic}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('rejects bad group input with documented codes', async () => {
    expect((await join('bad', {})).body.error.code).toBe('SPOOL_ERR_BAD_REQUEST');
    expect((await join('bad', { pattern: 'a..b' })).body.error.code).toBe('SPOOL_ERR_BAD_REQUEST');
    expect((await join('bad', { topics: ['work'], sessionTimeoutMs: 5 })).body.error.code).toBe('SPOOL_ERR_BAD_REQUEST');
    expect((await call(`${broker.url}/v1/groups/nope`)).body.error.code).toBe('SPOOL_ERR_GROUP_NOT_FOUND');
    expect((await post('/v1/groups/x/offsets', { offsets: [{ topic: 'work', partition: 0, offset: 10_000 }] })).body.error.code).toBe('SPOOL_ERR_OFFSET_OUT_OF_RANGE');
    expect((await post('/v1/groups/x/offsets', { offsets: [{ topic: 'nope', partition: 0, offset: 0 }] })).body.error.code).toBe('SPOOL_ERR_TOPIC_NOT_FOUND');
  });
});
