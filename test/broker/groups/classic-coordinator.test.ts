/**
 * The Kafka classic-group coordinator on its own, over fake timers: the join/sync protocol and its
 * answers, KIP-394 member ids, session and rebalance timeouts, KIP-345 static members, the caps,
 * and one timer per group however many heartbeats arrive.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClassicGroupCoordinator, type JoinParams } from '../../../broker/groups/classic-coordinator.js';
import type { JoinAnswer } from '../../../broker/groups/classic-group.js';
import { decodeConsumerAssignment, encodeConsumerAssignment } from '../../../broker/groups/consumer-protocol.js';

const limits = { membersPerGroupMax: 3, sessionTimeoutMinMs: 1000, sessionTimeoutMaxMs: 300_000, groupIdLengthMax: 249 };
let coordinator: ClassicGroupCoordinator;

beforeEach(() => {
  vi.useFakeTimers();
  coordinator = new ClassicGroupCoordinator(() => Date.now(), limits);
});

afterEach(() => {
  coordinator.close();
  vi.useRealTimers();
});

function params(overrides: Partial<JoinParams> = {}): JoinParams {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    clientId: 'client',
    clientHost: '127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 5_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('m') }],
    requireKnownMemberId: true,
    ...overrides,
  };
}

/** KIP-394: the first join gets an id, the second joins with it. */
async function join(overrides: Partial<JoinParams> = {}): Promise<Promise<JoinAnswer> | JoinAnswer> {
  const first = (await coordinator.join(params(overrides))) as JoinAnswer;
  expect(first.error).toBe('MEMBER_ID_REQUIRED');
  return coordinator.join(params({ ...overrides, memberId: first.memberId }));
}

const ref = (answer: JoinAnswer) => ({ groupId: 'g', memberId: answer.memberId, groupInstanceId: null, generationId: answer.generationId });

describe('classic group coordinator', () => {
  it('a lone member joins as leader of generation 1, syncs its own assignment, and heartbeats', async () => {
    const joined = await join();
    expect(joined).toMatchObject({ error: 'NONE', generationId: 1, protocolName: 'range', protocolType: 'consumer' });
    expect(joined.leader).toBe(joined.memberId);
    expect(joined.members).toEqual([{ memberId: joined.memberId, groupInstanceId: null, metadata: Buffer.from('m') }]);
    const assignment = encodeConsumerAssignment([{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }]);
    const synced = await coordinator.sync(ref(joined), null, null, [{ memberId: joined.memberId, assignment }]);
    expect(synced).toMatchObject({ error: 'NONE', assignment });
    expect(coordinator.group('g')!.state).toBe('Stable');
    expect(coordinator.group('g')!.members.get(joined.memberId)!.partitions).toEqual([{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }]);
    expect(coordinator.heartbeat(ref(joined))).toBe('NONE');
    expect(coordinator.heartbeat({ ...ref(joined), generationId: 7 })).toBe('ILLEGAL_GENERATION');
    expect(coordinator.heartbeat({ ...ref(joined), memberId: 'nobody' })).toBe('UNKNOWN_MEMBER_ID');
  });

  it('a second member starts a rebalance: the first is told to rejoin, the leader alone gets the member list, followers wait for its sync', async () => {
    const first = await join();
    await coordinator.sync(ref(first), null, null, []);
    const secondJoin = join({ clientId: 'second' });
    await vi.advanceTimersByTimeAsync(0);
    expect(coordinator.group('g')!.state).toBe('PreparingRebalance');
    expect(coordinator.heartbeat(ref(first))).toBe('REBALANCE_IN_PROGRESS');
    const firstAgain = (await coordinator.join(params({ memberId: first.memberId }))) as JoinAnswer;
    const second = await (await secondJoin);
    expect(firstAgain).toMatchObject({ error: 'NONE', generationId: 2, leader: first.memberId });
    expect(firstAgain.members).toHaveLength(2);
    expect(second).toMatchObject({ error: 'NONE', generationId: 2, leader: first.memberId, members: [] });
    const followerSync = coordinator.sync(ref(second), 'consumer', 'range', []);
    expect(coordinator.group('g')!.state).toBe('CompletingRebalance');
    expect(coordinator.heartbeat(ref(second))).toBe('NONE');
    expect(coordinator.checkCommit(ref(second))).toBe('REBALANCE_IN_PROGRESS');
    const assignment = encodeConsumerAssignment([{ topic: 't', partition: 1 }]);
    await coordinator.sync(ref(firstAgain), null, null, [{ memberId: second.memberId, assignment }]);
    expect(await followerSync).toMatchObject({ error: 'NONE', assignment });
    expect(coordinator.checkCommit(ref(second))).toBe('NONE');
    expect(await coordinator.sync(ref(second), 'consumer', 'other', [])).toMatchObject({ error: 'INCONSISTENT_GROUP_PROTOCOL' });
  });

  it('removes a member silent past its session timeout, and one that does not rejoin within the rebalance timeout', async () => {
    const first = await join();
    await coordinator.sync(ref(first), null, null, []);
    const secondJoin = join({ clientId: 'second', sessionTimeoutMs: 60_000 });
    await vi.advanceTimersByTimeAsync(0);
    // The first member never rejoins: after the rebalance timeout the join completes without it.
    await vi.advanceTimersByTimeAsync(5_001);
    const second = await (await secondJoin);
    expect(second).toMatchObject({ error: 'NONE', generationId: 2, leader: second.memberId });
    expect(coordinator.group('g')!.members.has(first.memberId)).toBe(false);
    expect(coordinator.heartbeat(ref(first))).toBe('UNKNOWN_MEMBER_ID');
    await coordinator.sync(ref(second), null, null, []);
    await vi.advanceTimersByTimeAsync(60_001); // silent past its session timeout
    expect(coordinator.group('g')).toMatchObject({ state: 'Empty', generationId: 3 });
    expect(coordinator.liveMembers('g')).toBe(0);
  });

  it('KIP-345: a static member back within its session timeout takes its place without a rebalance; its old incarnation is fenced', async () => {
    const first = (await coordinator.join(params({ groupInstanceId: 'i-1' }))) as JoinAnswer; // static members skip MEMBER_ID_REQUIRED
    expect(first).toMatchObject({ error: 'NONE', generationId: 1 });
    const assignment = encodeConsumerAssignment([{ topic: 't', partition: 3 }]);
    await coordinator.sync({ ...ref(first), groupInstanceId: 'i-1' }, null, null, [{ memberId: first.memberId, assignment }]);
    const back = (await coordinator.join(params({ groupInstanceId: 'i-1' }))) as JoinAnswer;
    expect(back).toMatchObject({ error: 'NONE', generationId: 1, skipAssignment: true });
    expect(back.memberId).not.toBe(first.memberId);
    expect(coordinator.group('g')!.state).toBe('Stable');
    expect(await coordinator.sync({ ...ref(back), groupInstanceId: 'i-1' }, null, null, [])).toMatchObject({ error: 'NONE', assignment });
    expect(coordinator.heartbeat({ ...ref(first), groupInstanceId: 'i-1' })).toBe('FENCED_INSTANCE_ID');
    expect(coordinator.leave('g', first.memberId, 'i-1')).toBe('FENCED_INSTANCE_ID');
    expect(coordinator.leave('g', '', 'i-1')).toBe('NONE');
    expect(coordinator.group('g')!.state).toBe('Empty');
  });

  it('answers Kafka’s errors for bad joins and keeps to the member cap', async () => {
    expect(await coordinator.join(params({ groupId: '' }))).toMatchObject({ error: 'INVALID_GROUP_ID' });
    expect(await coordinator.join(params({ groupId: 'x'.repeat(250) }))).toMatchObject({ error: 'INVALID_GROUP_ID' });
    expect(await coordinator.join(params({ sessionTimeoutMs: 10 }))).toMatchObject({ error: 'INVALID_SESSION_TIMEOUT' });
    expect(await coordinator.join(params({ sessionTimeoutMs: 2 ** 31 - 1 }))).toMatchObject({ error: 'INVALID_SESSION_TIMEOUT' });
    expect(await coordinator.join(params({ memberId: 'made-up' }))).toMatchObject({ error: 'UNKNOWN_MEMBER_ID' });
    expect(await coordinator.join(params({ protocols: [] }))).toMatchObject({ error: 'INCONSISTENT_GROUP_PROTOCOL' });
    const first = await join();
    expect(await coordinator.join(params({ protocolType: 'connect' }))).toMatchObject({ error: 'INCONSISTENT_GROUP_PROTOCOL' });
    expect(await coordinator.join(params({ protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }] }))).toMatchObject({ error: 'INCONSISTENT_GROUP_PROTOCOL' });
    void join();
    void join();
    expect(await coordinator.join(params())).toMatchObject({ error: 'GROUP_MAX_SIZE_REACHED' });
    expect(coordinator.delete('g')).toBe('NON_EMPTY_GROUP');
    expect(first.generationId).toBe(1);
  });

  it('keeps one timer per group, however many heartbeats arrive', async () => {
    const joined = await join();
    await coordinator.sync(ref(joined), null, null, []);
    const timers = vi.getTimerCount();
    for (let i = 0; i < 1000; i++) {
      await vi.advanceTimersByTimeAsync(100);
      expect(coordinator.heartbeat(ref(joined))).toBe('NONE');
    }
    expect(vi.getTimerCount()).toBe(timers);
    expect(timers).toBe(1);
    expect(coordinator.liveMembers('g')).toBe(1);
  });

  it('decodes forged or truncated assignment bytes to no partitions, never throwing', () => {
    const good = encodeConsumerAssignment([{ topic: 'a', partition: 1 }]);
    expect(decodeConsumerAssignment(good)).toEqual([{ topic: 'a', partition: 1 }]);
    for (let cut = 0; cut < good.length - 4; cut++) expect(decodeConsumerAssignment(good.subarray(0, cut))).toEqual([]);
    const forged = Buffer.from(good);
    forged.writeInt32BE(2 ** 31 - 1, 2);
    expect(decodeConsumerAssignment(forged)).toEqual([]);
  });
});
