/**
 * Drives the coordinator through random joins, leaves, heartbeats and expiries on a simulated
 * clock. Each simulated member consumes what its last answer assigned it, stops consuming what it
 * was asked to revoke before reporting it, and stops altogether once its own session has lapsed
 * (a client that cannot heartbeat fences itself, as Kafka consumers do).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type TopicPartition, tpKey } from '../../../broker/groups/assignors.js';
import { GroupCoordinator } from '../../../broker/groups/coordinator.js';

const TOPICS = [
  { name: 'orders', partitions: 4 },
  { name: 'payments', partitions: 3 },
];
const ALL_PARTITIONS = TOPICS.flatMap((topic) => Array.from({ length: topic.partitions }, (_, p) => `${topic.name}:${p}`));

interface SimMember {
  memberId: string;
  sessionTimeoutMs: number;
  lastOkMs: number;
  consuming: Set<string>;
  pendingRevoke: TopicPartition[];
}

type Command =
  | { kind: 'join'; timeoutMs: number; instance: number | null }
  | { kind: 'heartbeat'; who: number; cooperative: boolean }
  | { kind: 'leave'; who: number }
  | { kind: 'tick'; ms: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('join' as const), timeoutMs: fc.constantFrom(1000, 3000), instance: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }) }),
  fc.record({ kind: fc.constant('heartbeat' as const), who: fc.nat(), cooperative: fc.boolean() }),
  fc.record({ kind: fc.constant('leave' as const), who: fc.nat() }),
  fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 2500 }) }),
);

function run(commands: Command[], assignor: 'sticky' | 'range' | 'roundrobin'): void {
  let now = 0;
  const coordinator = new GroupCoordinator({ exists: () => true, topics: () => TOPICS }, () => now);
  const members: SimMember[] = [];
  const live = () => members.filter((member) => now - member.lastOkMs <= member.sessionTimeoutMs);

  const apply = (member: SimMember, view: { assignments: TopicPartition[]; revoke: TopicPartition[] }) => {
    member.lastOkMs = now;
    member.consuming = new Set(view.assignments.map(tpKey));
    member.pendingRevoke = view.revoke;
  };

  const checkSafety = () => {
    const seen = new Map<string, string>();
    for (const member of live()) {
      for (const key of member.consuming) {
        expect(seen.get(key), `${key} consumed by two members`).toBeUndefined();
        seen.set(key, member.memberId);
      }
    }
    const group = coordinator.group('g');
    if (!group) return;
    for (const owner of group.owner.values()) expect(group.members.has(owner), 'owners are live members').toBe(true);
  };

  for (const step of commands) {
    if (step.kind === 'tick') now += step.ms;
    if (step.kind === 'join') {
      const instanceId = step.instance === null ? null : `instance-${step.instance}`;
      const result = coordinator.join('g', { subscription: { topics: ['orders', 'payments'] }, sessionTimeoutMs: step.timeoutMs, instanceId, assignor });
      if (instanceId) {
        // The predecessor with this instance id (if any) is replaced: it stops consuming.
        for (const member of members) if ((member as SimMember & { instanceId?: string }).instanceId === instanceId) member.consuming.clear();
      }
      const member: SimMember & { instanceId?: string } = { memberId: result.memberId, sessionTimeoutMs: step.timeoutMs, lastOkMs: now, consuming: new Set(), pendingRevoke: [] };
      if (instanceId) member.instanceId = instanceId;
      apply(member, result);
      members.push(member);
    }
    const alive = live();
    if (step.kind === 'heartbeat' && alive.length > 0) {
      const member = alive[step.who % alive.length]!;
      const revoked = step.cooperative ? member.pendingRevoke : [];
      for (const tp of revoked) member.consuming.delete(tpKey(tp)); // stop consuming before reporting
      try {
        apply(member, coordinator.heartbeat('g', member.memberId, revoked));
      } catch {
        member.consuming.clear(); // expired or replaced: must rejoin
        member.lastOkMs = -Infinity;
      }
    }
    if (step.kind === 'leave' && alive.length > 0) {
      const member = alive[step.who % alive.length]!;
      member.consuming.clear();
      try {
        coordinator.leave('g', member.memberId);
      } catch {
        // already gone
      }
      member.lastOkMs = -Infinity;
    }
    coordinator.expire();
    checkSafety();
  }

  // Settle: every live member heartbeats cooperatively, with no time passing, until stable.
  const settled = live().filter((member) => coordinator.group('g')?.members.has(member.memberId));
  for (let round = 0; round < 4; round++) {
    for (const member of settled) {
      for (const tp of member.pendingRevoke) member.consuming.delete(tpKey(tp));
      apply(member, coordinator.heartbeat('g', member.memberId, member.pendingRevoke));
      checkSafety();
    }
  }
  if (settled.length === 0) return;
  const owners = new Map<string, string>();
  for (const member of settled) for (const key of member.consuming) owners.set(key, member.memberId);
  expect([...owners.keys()].sort()).toEqual([...ALL_PARTITIONS].sort());
  const loads = settled.map((member) => member.consuming.size);
  if (assignor !== 'range') expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(1);
}

describe('GroupCoordinator', () => {
  for (const assignor of ['sticky', 'roundrobin', 'range'] as const) {
    it(`never lets two live members consume one partition, and settles balanced (${assignor})`, () => {
      fc.assert(fc.property(fc.array(command, { minLength: 1, maxLength: 60 }), (commands) => run(commands, assignor)), { numRuns: 300 });
    });
  }

  it('sticky moves only the partitions it must when a member joins', () => {
    let now = 0;
    const coordinator = new GroupCoordinator({ exists: () => true, topics: () => [{ name: 't', partitions: 6 }] }, () => now);
    const a = coordinator.join('g', { subscription: { topics: ['t'] }, sessionTimeoutMs: 10_000 });
    const b = coordinator.join('g', { subscription: { topics: ['t'] }, sessionTimeoutMs: 10_000 });
    const before = coordinator.heartbeat('g', a.memberId);
    coordinator.heartbeat('g', b.memberId, []);
    const settle = () => {
      for (let i = 0; i < 3; i++) {
        for (const id of [a.memberId, b.memberId]) {
          const view = coordinator.heartbeat('g', id);
          coordinator.heartbeat('g', id, view.revoke);
        }
      }
    };
    settle();
    const aBefore = new Set(coordinator.heartbeat('g', a.memberId).assignments.map(tpKey));
    expect(aBefore.size).toBe(3);
    coordinator.join('g', { subscription: { topics: ['t'] }, sessionTimeoutMs: 10_000 });
    const target = coordinator.group('g')!.target;
    const aAfter = [...target].filter(([, owner]) => owner === a.memberId).map(([key]) => key);
    expect(aAfter.length).toBe(2);
    for (const key of aAfter) expect(aBefore.has(key)).toBe(true);
    expect(before.generation).toBeGreaterThan(0);
    now += 1;
  });

  it('a static member rejoining within its session keeps its partitions without a rebalance', () => {
    let now = 0;
    const coordinator = new GroupCoordinator({ exists: () => true, topics: () => [{ name: 't', partitions: 4 }] }, () => now);
    const first = coordinator.join('g', { subscription: { topics: ['t'] }, sessionTimeoutMs: 5000, instanceId: 'pod-1' });
    const other = coordinator.join('g', { subscription: { topics: ['t'] }, sessionTimeoutMs: 5000 });
    for (let i = 0; i < 3; i++) {
      for (const id of [first.memberId, other.memberId]) coordinator.heartbeat('g', id, coordinator.heartbeat('g', id).revoke);
    }
    const owned = coordinator.heartbeat('g', first.memberId).assignments.map(tpKey).sort();
    const generation = coordinator.group('g')!.generation;
    now += 3000;
    coordinator.heartbeat('g', other.memberId);
    const again = coordinator.join('g', { subscription: { topics: ['t'] }, sessionTimeoutMs: 5000, instanceId: 'pod-1' });
    expect(again.assignments.map(tpKey).sort()).toEqual(owned);
    expect(again.generation).toBe(generation);
    expect(() => coordinator.heartbeat('g', first.memberId)).toThrow(/not in group/);
  });

  it('fences commits from a stale generation or for partitions the member does not own', () => {
    const coordinator = new GroupCoordinator({ exists: () => true, topics: () => [{ name: 't', partitions: 2 }] });
    const a = coordinator.join('g', { subscription: { topics: ['t'] }, sessionTimeoutMs: 5000 });
    expect(() => coordinator.validateCommit('g', a.memberId, a.generation, [{ topic: 't', partition: 0 }])).not.toThrow();
    coordinator.join('g', { subscription: { topics: ['t'] }, sessionTimeoutMs: 5000 });
    expect(() => coordinator.validateCommit('g', a.memberId, a.generation, [{ topic: 't', partition: 0 }])).toThrow(
      expect.objectContaining({ code: 'SPOOL_ERR_FENCED' }),
    );
  });

  it('pattern subscriptions follow topics created and deleted later', () => {
    const topics = [{ name: 'logs.app', partitions: 1 }];
    const coordinator = new GroupCoordinator({ exists: () => true, topics: () => topics });
    const member = coordinator.join('g', { subscription: { pattern: 'logs.#' }, sessionTimeoutMs: 5000 });
    expect(member.assignments.map(tpKey)).toEqual(['logs.app:0']);
    topics.push({ name: 'logs', partitions: 1 }, { name: 'metrics.cpu', partitions: 1 });
    coordinator.topicsChanged();
    expect(coordinator.heartbeat('g', member.memberId).assignments.map(tpKey).sort()).toEqual(['logs.app:0', 'logs:0']);
    topics.splice(0, 1);
    coordinator.topicsChanged();
    expect(coordinator.heartbeat('g', member.memberId).assignments.map(tpKey)).toEqual(['logs:0']);
  });

  it('reads the topics once per rebalance, and expires many members in one rebalance', () => {
    let now = 0;
    let reads = 0;
    const coordinator = new GroupCoordinator({ exists: () => true, topics: () => (reads++, [{ name: 't', partitions: 8 }]) }, () => now);
    for (let i = 0; i < 100; i++) coordinator.join('g', { subscription: { topics: ['t'] }, sessionTimeoutMs: i < 50 ? 1000 : 60_000 });
    // One read per join's rebalance; reading once per member made 100 joins cost 5,050 reads.
    expect(reads).toBe(100);
    reads = 0;
    now += 2000;
    coordinator.expire();
    expect(coordinator.group('g')!.members.size).toBe(50);
    expect(reads).toBe(1);
  });

  it('refuses a member past membersPerGroupMax, but not a static member taking its own place', () => {
    const coordinator = new GroupCoordinator({ exists: () => true, topics: () => [{ name: 't', partitions: 2 }] }, Date.now, { membersPerGroupMax: 2 });
    coordinator.join('g', { subscription: { topics: ['t'] }, sessionTimeoutMs: 5000, instanceId: 'pod-1' });
    coordinator.join('g', { subscription: { topics: ['t'] }, sessionTimeoutMs: 5000 });
    expect(() => coordinator.join('g', { subscription: { topics: ['t'] }, sessionTimeoutMs: 5000 })).toThrow(
      expect.objectContaining({ code: 'SPOOL_ERR_TOO_MANY_MEMBERS', status: 429, context: expect.objectContaining({ limit: 'membersPerGroupMax', max: 2 }) }),
    );
    expect(() => coordinator.join('g', { subscription: { topics: ['t'] }, sessionTimeoutMs: 5000, instanceId: 'pod-1' })).not.toThrow();
  });
});
