/**
 * The embedded broker (issue 22): `startBroker()` from `spool-broker/broker` runs a broker in the
 * test's process on a temporary directory and free ports, with every `serve` setting as an option,
 * answers a client, resets between tests, and closes leaving nothing behind.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, startBroker } from '../../broker/index.js';
import { call } from './support/broker.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

async function rejection(start: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await start;
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected startBroker to refuse');
}

describe('startBroker() with no options', () => {
  let broker: EmbeddedBroker;
  beforeAll(async () => {
    broker = await startBroker();
  });
  afterAll(async () => broker.close());

  it('serves HTTP on a free port, from a fresh temporary directory, durably, without logs', async () => {
    expect(broker.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(broker.url).not.toMatch(/:9292$/);
    expect(broker.dataDir.startsWith(tmpdir())).toBe(true);
    expect(existsSync(join(broker.dataDir, 'spool.db'))).toBe(true);
    expect(broker.config).toMatchObject({ flush: 'always', logLevel: 'silent', kafkaPort: 0, port: 0 });
    expect((await call(`${broker.url}/health`)).status).toBe(200);
  });

  it('answers KafkaJS on kafkaBootstrap, a free port', async () => {
    expect(broker.kafkaBootstrap).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(broker.kafkaBootstrap).not.toMatch(/:9092$/);
    const admin = new Kafka({ brokers: [broker.kafkaBootstrap!], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await broker.client().admin.createTopic({ name: 'seen-by-kafka' });
      expect(await admin.listTopics()).toContain('seen-by-kafka');
    } finally {
      await admin.disconnect();
    }
  });

  it('hands out clients connected to it', async () => {
    const spool = broker.client();
    await spool.admin.createTopic({ name: 'orders' });
    const [sent] = await spool.producer().send('orders', [{ key: 'k', value: { n: 1 } }]);
    const consumer = spool.consumer<{ n: number }>({ topics: ['orders'], from: 'earliest' });
    for await (const message of consumer) {
      expect({ offset: message.offset, value: message.value }).toEqual({ offset: sent!.offset, value: { n: 1 } });
      break;
    }
  });

  it('reset() deletes every topic, group and queue, and the names can be used again', async () => {
    const spool = broker.client();
    await spool.admin.createTopic({ name: 'jobs', partitions: 3 });
    await spool.producer().send('jobs', [{ value: 'a' }, { value: 'b' }]);
    await spool.queue('jobs', 'workers').configure();
    const joined = await call(`${broker.url}/v1/groups/billing/members`, { method: 'POST', json: { topics: ['jobs'] } });
    expect(joined.status).toBe(200);
    await call(`${broker.url}/v1/groups/billing/offsets`, { method: 'POST', json: { offsets: [{ topic: 'jobs', partition: 0, offset: 1 }] } });
    expect((await call(`${broker.url}/v1/groups`)).body.groups).not.toEqual([]);

    await broker.reset();

    expect((await call(`${broker.url}/v1/topics`)).body.topics).toEqual([]);
    expect((await call(`${broker.url}/v1/groups`)).body.groups).toEqual([]);
    expect((await call(`${broker.url}/v1/queues`)).body.queues).toEqual([]);
    expect(await readdir(join(broker.dataDir, 'topics'))).not.toContain('jobs');
    await spool.admin.createTopic({ name: 'jobs' });
    expect((await call(`${broker.url}/v1/topics/jobs`)).body.partitionDetails).toEqual([expect.objectContaining({ highWatermark: 0 })]);
    expect((await call(`${broker.url}/v1/groups/billing/offsets`)).body.offsets ?? []).toEqual([]);
    await broker.reset();
    await broker.reset();
  });
});

describe('startBroker(options)', () => {
  it('takes every serve setting through the same validated config, and dataDir it never removes', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'spool-embedded-own-'));
    const broker = await startBroker({ dataDir, flush: 'never', corsOrigin: '*', cleanerIntervalMs: 50, console: false, kafka: false });
    try {
      expect(broker.config).toMatchObject({ dataDir, flush: 'never', corsOrigin: '*', cleanerIntervalMs: 50, console: false });
      expect(broker.kafkaBootstrap).toBeNull();
      expect((await call(`${broker.url}/console/`)).status).toBe(404);
    } finally {
      await broker.close();
    }
    expect(existsSync(join(dataDir, 'spool.db'))).toBe(true);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keepData keeps the temporary directory, and a broker starts on it again with its topics', async () => {
    const first = await startBroker({ keepData: true, kafka: false });
    await first.client().admin.createTopic({ name: 'kept' });
    await first.close();
    expect(existsSync(first.dataDir)).toBe(true);
    const second = await startBroker({ dataDir: first.dataDir, kafka: false });
    try {
      expect((await call(`${second.url}/v1/topics/kept`)).status).toBe(200);
    } finally {
      await second.close();
      await rm(first.dataDir, { recursive: true, force: true });
    }
  });

  it('passes limits through: short time-based settings for tests', async () => {
    const broker = await startBroker({ kafka: false, limits: { groupsMax: 1 } });
    try {
      expect((await call(`${broker.url}/v1/groups/a/members`, { method: 'POST', json: { topics: ['x'] } })).status).toBe(200);
      const refused = await call(`${broker.url}/v1/groups/b/members`, { method: 'POST', json: { topics: ['x'] } });
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe('SPOOL_ERR_TOO_MANY_GROUPS');
    } finally {
      await broker.close();
    }
  });

  it.each([
    ['a typo', { flsh: 'never' }, /unknown key "flsh" \(did you mean "flush"\?\)/],
    ['a negative port', { port: -1 }, /port must be an integer from 0 to 65535, got -1/],
    ['a port of 2^53+1', { port: 2 ** 53 + 1 }, /port must be an integer from 0 to 65535/],
    ['a string for a number', { cleanerIntervalMs: '50' }, /cleanerIntervalMs must be an integer/],
    ['a bad flush policy', { flush: 'sometimes' }, /flush must be/],
    ['a reserved key', JSON.parse('{"__proto__": {"port": 1}}'), /unknown key "__proto__"/],
    ['kafka: false with a Kafka port', { kafka: false, kafkaPort: 19092 }, /kafka: false/],
  ])('refuses %s with SPOOL_ERR_INVALID_CONFIG naming the setting', async (_case, options, message) => {
    const error = await rejection(startBroker(options as never));
    expect(error.code).toBe('SPOOL_ERR_INVALID_CONFIG');
    expect(error.message).toMatch(message);
  });

  it('close() is idempotent, closes the clients it handed out, and removes the temporary directory', async () => {
    const broker = await startBroker({ kafka: false });
    const spool = broker.client();
    await spool.admin.createTopic({ name: 't' });
    await Promise.all([broker.close(), broker.close()]);
    await broker.close();
    expect(existsSync(broker.dataDir)).toBe(false);
    await expect(fetch(`${broker.url}/health`)).rejects.toThrow();
  });
});

describe('a process that starts and closes an embedded broker', () => {
  // The compiled package, as a user runs it: `npm test` builds first.
  const script = `
    import { startBroker } from ${JSON.stringify(join(ROOT, 'dist', 'broker', 'index.js'))};
    await startBroker({ flsh: 'never' }).catch((error) => console.log(error.code));
    const broker = await startBroker({ cleanerIntervalMs: 10 });
    const spool = broker.client();
    await spool.admin.createTopic({ name: 'exit', partitions: 2 });
    await spool.producer().send('exit', [{ value: 1 }, { value: 2 }]);
    const consumer = spool.consumer({ groupId: 'g', topics: ['exit'], offsetReset: 'earliest' });
    for await (const message of consumer) break;
    const queue = spool.queue('exit', 'q');
    await queue.configure();
    // /docs is built at its first request (broker/http/lazy-docs.ts): close() closes it too.
    if (!(await fetch(broker.url + '/docs/json')).ok) console.log('no /docs/json');
    await broker.reset();
    await broker.close();
    console.log('closed');
  `;

  it('exits by itself: no timer, socket, worker or file left open; its temporary directory is gone', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'spool-embedded-exit-'));
    try {
      // TMPDIR: the child's temporary directories are made here, so what it leaves is seen.
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, TMPDIR: scratch }, timeout: 30_000 });
      expect(stdout.trim().split('\n')).toEqual(['SPOOL_ERR_INVALID_CONFIG', 'closed']);
      expect(await readdir(scratch)).toEqual([]);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it('lets a closed broker be garbage-collected (nothing process-wide holds it)', async () => {
    const retained = `
      import { startEmbeddedBroker } from ${JSON.stringify(join(ROOT, 'dist', 'broker', 'embedded.js'))};
      let broker = await startEmbeddedBroker({ kafka: false });
      const app = new WeakRef(broker.broker.app);
      await fetch(broker.url + '/metrics').then((response) => response.text());
      await fetch(broker.url + '/docs/json').then((response) => response.text());
      await broker.close();
      broker = null;
      for (let i = 0; i < 20 && app.deref() !== undefined; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        globalThis.gc();
      }
      console.log(app.deref() === undefined ? 'collected' : 'retained');
    `;
    const { stdout } = await run(process.execPath, ['--expose-gc', '--input-type=module', '-e', retained], { timeout: 30_000 });
    expect(stdout.trim()).toBe('collected');
  });
});
