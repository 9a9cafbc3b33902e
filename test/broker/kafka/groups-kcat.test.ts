/**
 * kcat -G (librdkafka's balanced consumer) against the Kafka listener: two consumers of one group
 * split a 4-partition topic with each record read once; stopping one moves its partitions to the
 * other; a consumer started again resumes after the committed offsets.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker;
const running = new Set<ChildProcess>();

beforeAll(async () => {
  broker = await startBroker({ kafka: true });
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'kg', partitions: 4 } });
});

afterAll(async () => {
  for (const child of running) child.kill('SIGKILL');
  await broker?.close();
});

interface GroupConsumer {
  values: string[];
  partitions: Set<number>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** A `kcat -G` consumer printing "partition value" lines. */
function kcatGroup(group: string, topic: string, extra: string[] = []): GroupConsumer {
  const settings = ['session.timeout.ms=6000', 'heartbeat.interval.ms=300', 'auto.commit.interval.ms=100', 'auto.offset.reset=earliest', 'topic.metadata.refresh.interval.ms=1000', ...extra];
  const args = ['-b', broker.kafka!.address, '-G', group, '-q', '-u', '-f', '%p %s\n', ...settings.flatMap((setting) => ['-X', setting]), topic];
  const child = spawn('kcat', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const consumer: GroupConsumer = { values: [], partitions: new Set(), stop: () => Promise.resolve() };
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const [partition, value] = line.split(' ');
      consumer.partitions.add(Number(partition));
      consumer.values.push(JSON.parse(value!) as string); // produced as JSON strings over HTTP
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  consumer.stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    child.kill(signal); // SIGTERM: kcat closes its consumer (final commit, LeaveGroup); SIGKILL: it just dies
    await exited;
    running.delete(child);
  };
  return consumer;
}

async function produce(from: number, count: number, topic = 'kg'): Promise<void> {
  const records = Array.from({ length: count }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` }));
  const answer = await call(`${broker.url}/v1/topics/${topic}/records`, { method: 'POST', json: { records } });
  expect(answer.status).toBe(200);
}

async function members(group: string): Promise<number> {
  const answer = await call(`${broker.url}/v1/groups/${group}`);
  return answer.status === 200 ? answer.body.members.length : 0;
}

describe('kcat -G', () => {
  it('splits the partitions between two consumers, fails over to one, and resumes after the committed offsets', async () => {
    const first = kcatGroup('kcat-group', 'kg');
    const second = kcatGroup('kcat-group', 'kg');
    await vi.waitFor(async () => {
      const description = await call(`${broker.url}/v1/groups/kcat-group`);
      expect(description.body).toMatchObject({ state: 'Stable', protocol: 'consumer' });
      expect(description.body.members).toHaveLength(2);
    }, { timeout: 30_000, interval: 200 });
    await produce(0, 2000);
    await vi.waitFor(() => expect(first.values.length + second.values.length).toBe(2000), { timeout: 20_000, interval: 100 });
    expect(new Set([...first.values, ...second.values]).size).toBe(2000);
    expect(first.partitions.size).toBe(2);
    expect(second.partitions.size).toBe(2);
    expect([...first.partitions].some((p) => second.partitions.has(p))).toBe(false);

    await second.stop();
    await vi.waitFor(async () => expect(await members('kcat-group')).toBe(1), { timeout: 20_000, interval: 200 });
    await produce(2000, 1000);
    await vi.waitFor(() => expect(first.values.filter((value) => Number(value.slice(1)) >= 2000)).toHaveLength(1000), { timeout: 30_000, interval: 100 });
    expect(first.partitions.size).toBe(4);

    await first.stop();
    await vi.waitFor(async () => expect(await members('kcat-group')).toBe(0), { timeout: 20_000, interval: 200 });
    const committed = await call(`${broker.url}/v1/groups/kcat-group`);
    expect(committed.body.totalLag).toBe(0);
    await produce(3000, 500);
    const again = kcatGroup('kcat-group', 'kg');
    await vi.waitFor(() => expect(again.values).toHaveLength(500), { timeout: 30_000, interval: 100 });
    expect(again.values.every((value) => Number(value.slice(1)) >= 3000)).toBe(true);
    await again.stop();
  });

  it('cooperative-sticky static members: one killed and restarted within its session timeout takes its partitions back without a rebalance', async () => {
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'kstatic', partitions: 4 } });
    const cooperative = ['partition.assignment.strategy=cooperative-sticky'];
    const stable = kcatGroup('static-group', 'kstatic', [...cooperative, 'group.instance.id=stable-one', 'session.timeout.ms=20000']);
    const restarted = kcatGroup('static-group', 'kstatic', [...cooperative, 'group.instance.id=restarted-one', 'session.timeout.ms=20000']);
    const describe = async () => (await call(`${broker.url}/v1/groups/static-group`)).body;
    await vi.waitFor(async () => expect(await describe()).toMatchObject({ state: 'Stable', assignor: 'cooperative-sticky', members: [expect.anything(), expect.anything()] }), { timeout: 30_000, interval: 200 });
    // Cooperative rebalancing settles in rounds (all four to the first member, then two revoked and
    // handed over): wait for the final split, two partitions each.
    await vi.waitFor(async () => expect((await describe()).members.map((member: { assignments: unknown[] }) => member.assignments.length)).toEqual([2, 2]), { timeout: 30_000, interval: 200 });
    await vi.waitFor(async () => expect(await describe()).toMatchObject({ state: 'Stable' }), { timeout: 30_000, interval: 200 });
    const before = await describe();
    const ownedBefore = before.members.find((member: { instanceId: string }) => member.instanceId === 'restarted-one').assignments;

    await restarted.stop('SIGKILL');
    const again = kcatGroup('static-group', 'kstatic', [...cooperative, 'group.instance.id=restarted-one', 'session.timeout.ms=20000']);
    await produce(0, 400, 'kstatic');
    await vi.waitFor(() => expect(stable.values.length + again.values.length).toBe(400), { timeout: 30_000, interval: 100 });
    const after = await describe();
    expect(after.generation).toBe(before.generation);
    const back = after.members.find((member: { instanceId: string }) => member.instanceId === 'restarted-one');
    expect(back.memberId).not.toBe(before.members.find((member: { instanceId: string }) => member.instanceId === 'restarted-one').memberId);
    expect(back.assignments).toEqual(ownedBefore);
    await Promise.all([stable.stop(), again.stop()]);
  });
});
