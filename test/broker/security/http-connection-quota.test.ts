/**
 * quotaConnectionsPerPrincipal on the HTTP listener (broker/security/http-connection-quota.ts):
 * an authenticated connection holds a slot of its principal until it closes, in one count with
 * the Kafka listener's; one more is answered 429 SPOOL_ERR_QUOTA_EXCEEDED naming the setting and
 * closed; another principal has its own count; a keep-alive connection that authenticates as
 * someone else moves its slot; an open broker counts nothing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { RawKafkaClient } from '../kafka/support/raw-client.js';
import { call, startBroker, type TestBroker } from '../support/broker.js';
import { type HeldConnection, holdConnection } from '../support/held-connection.js';
import { admin, ADMIN_PASSWORD, basic, startSecuredBroker } from './support.js';

const alice = basic('alice', 'alice pw');
const bob = basic('bob', 'bob pw');
const TOPIC = '/v1/topics/held';

describe('connections per principal on HTTP', () => {
  let t: TestBroker;
  const held: HeldConnection[] = [];
  const connect = () => {
    const connection = holdConnection(t.url);
    held.push(connection);
    return connection;
  };

  beforeAll(async () => {
    t = await startSecuredBroker({ kafka: true, settings: { quotaConnectionsPerPrincipal: 1 } });
    // The admin's calls over one connection: fetch()'s pool would open several, past its quota.
    const adminConnection = holdConnection(t.url);
    for (const user of ['alice', 'bob']) expect((await adminConnection.send('PUT', `/v1/admin/users/${user}`, admin, { password: `${user} pw` })).status).toBe(200);
    expect((await adminConnection.send('POST', '/v1/topics', admin, { name: 'held', partitions: 1 })).status).toBe(201);
    const acls = ['alice', 'bob'].map((user) => ({ principal: `User:${user}`, resourceType: 'topic', resourceName: '*', operation: 'All', permission: 'allow' }));
    expect((await adminConnection.send('POST', '/v1/admin/acls', admin, { acls })).status).toBe(200);
    adminConnection.close();
  });
  afterEach(() => held.splice(0).forEach((connection) => connection.close()));
  afterAll(() => t.close());

  /** A new connection of `headers`' principal succeeds (the close of an earlier one reaches the broker asynchronously). */
  const admitted = (headers: Record<string, string>) =>
    vi.waitFor(async () => {
      const probe = holdConnection(t.url);
      const answer = await probe.get(TOPIC, headers);
      probe.close();
      expect(answer.status).toBe(200);
    }, { timeout: 10_000, interval: 100 });

  it('answers one connection too many 429 naming quotaConnectionsPerPrincipal, closes it, and takes a new one once the first closed', async () => {
    await admitted(alice);
    const first = connect();
    expect((await first.get(TOPIC, alice)).status).toBe(200);
    const second = connect();
    const refused = await second.get(TOPIC, alice);
    expect([refused.status, refused.body.error.code, refused.body.error.limit, refused.body.error.max]).toEqual([429, 'SPOOL_ERR_QUOTA_EXCEEDED', 'quotaConnectionsPerPrincipal', 1]);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.headers.connection).toBe('close');
    // The holder keeps being served on its connection, and another principal has its own count.
    expect((await first.get(TOPIC, alice)).status).toBe(200);
    expect((await connect().get(TOPIC, bob)).status).toBe(200);
    // Public routes authenticate no one and count nothing.
    expect((await connect().get('/health')).status).toBe(200);
    first.close();
    await admitted(alice);
  });

  /** A new Kafka connection authenticated as `user`, once the broker saw earlier connections close. */
  const kafkaAs = (user: string, password: string) =>
    vi.waitFor(async () => {
      const client = await RawKafkaClient.connect(t.kafka!);
      const code = await client.authenticatePlain(user, password);
      if (code !== 0) client.close();
      expect(code).toBe(0);
      return client;
    }, { timeout: 10_000, interval: 100 });

  it('refuses a Kafka connection past the quota at SaslAuthenticate until one closes', async () => {
    const first = await kafkaAs('bob', 'bob pw');
    const second = await RawKafkaClient.connect(t.kafka!);
    expect(await second.authenticatePlain('bob', 'bob pw')).toBe(58); // SASL_AUTHENTICATION_FAILED
    second.close();
    (await kafkaAs('admin', ADMIN_PASSWORD)).close(); // another principal has its own count
    first.close();
    (await kafkaAs('bob', 'bob pw')).close();
  });

  it('counts HTTP and Kafka connections together', async () => {
    await admitted(alice);
    const http = connect();
    expect((await http.get(TOPIC, alice)).status).toBe(200);
    const kafka = await RawKafkaClient.connect(t.kafka!);
    expect(await kafka.authenticatePlain('alice', 'alice pw')).toBe(58); // SASL_AUTHENTICATION_FAILED
    kafka.close();
    http.close();
    (await kafkaAs('alice', 'alice pw')).close();
    await admitted(alice);
  });

  it('moves the slot of a keep-alive connection whose request authenticates as another principal', async () => {
    await admitted(alice);
    await admitted(bob);
    const switching = connect();
    expect((await switching.get(TOPIC, alice)).status).toBe(200);
    expect((await switching.get(TOPIC, bob)).status).toBe(200);
    // alice's slot was given back as the connection became bob's; bob's is taken.
    expect((await connect().get(TOPIC, alice)).status).toBe(200);
    expect((await connect().get(TOPIC, bob)).status).toBe(429);
  });
});

describe('connections per principal on an open broker', () => {
  it('counts nothing: nobody authenticated', async () => {
    const t = await startBroker({ settings: { quotaConnectionsPerPrincipal: 1 } });
    await call(`${t.url}/v1/topics`, { method: 'POST', json: { name: 'held', partitions: 1 } });
    const connections = [holdConnection(t.url), holdConnection(t.url)];
    try {
      for (const connection of connections) expect((await connection.get(TOPIC)).status).toBe(200);
    } finally {
      connections.forEach((connection) => connection.close());
      await t.close();
    }
  });
});
