/**
 * SASL on the Kafka listener once the broker requires credentials: KafkaJS with SCRAM-SHA-512,
 * SCRAM-SHA-256 and PLAIN, kcat (librdkafka) with SCRAM-SHA-512 and PLAIN (SASL_PLAINTEXT);
 * a wrong password refused; an unauthenticated client refused; ACLs enforced and Metadata listing
 * only what the principal may Describe.
 */
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type TestBroker } from '../support/broker.js';
import { admin, grant, startSecuredBroker } from '../security/support.js';
import { kcat } from './support/kcat.js';

let t: TestBroker;

beforeAll(async () => {
  t = await startSecuredBroker({ kafka: true, limits: { authFailureDelayMsBase: 1, authFailureDelayMsMax: 2 } });
  await call(`${t.url}/v1/admin/users/alice`, { method: 'PUT', headers: admin, json: { password: 'alice pw' } });
  for (const name of ['shared', 'secret']) await call(`${t.url}/v1/topics`, { method: 'POST', headers: admin, json: { name, partitions: 1 } });
  await grant(t.url, [
    { principal: 'User:alice', resourceType: 'topic', resourceName: 'shared', operation: 'Write', permission: 'allow' },
    { principal: 'User:alice', resourceType: 'topic', resourceName: 'shared', operation: 'Read', permission: 'allow' },
  ]);
});
afterAll(() => t.close());

function kafka(sasl?: SASLOptions) {
  return new Kafka({ clientId: 'sasl-test', brokers: [t.kafka!.address], logLevel: logLevel.NOTHING, retry: { retries: 0 }, ...(sasl ? { sasl } : {}) });
}

async function httpValues(topic: string): Promise<string[]> {
  const answer = await call(`${t.url}/v1/topics/${topic}/partitions/0/records?offset=0&valueFormat=string`, { headers: admin });
  return answer.body.records.map((record: { value: string }) => record.value);
}

describe('SASL with KafkaJS', () => {
  for (const mechanism of ['scram-sha-512', 'scram-sha-256', 'plain'] as const) {
    it(`produces with ${mechanism} as a user holding Write`, async () => {
      const producer = kafka({ mechanism, username: 'alice', password: 'alice pw' } as SASLOptions).producer();
      await producer.connect();
      await producer.send({ topic: 'shared', messages: [{ value: `via ${mechanism}` }] });
      await producer.disconnect();
      expect(await httpValues('shared')).toContain(`via ${mechanism}`);
    });
  }

  it('refuses a wrong password, an unknown user and a client without SASL', async () => {
    for (const sasl of [{ mechanism: 'scram-sha-512', username: 'alice', password: 'wrong' }, { mechanism: 'plain', username: 'nobody', password: 'x' }] as SASLOptions[]) {
      const client = kafka(sasl).admin();
      await expect(client.connect()).rejects.toThrow(/SASL|[Aa]uthentication/);
      await client.disconnect();
    }
    const anonymous = kafka().admin();
    await expect(anonymous.listTopics()).rejects.toThrow();
    await anonymous.disconnect();
  });

  it('lists only the topics the principal may Describe, and refuses a write without the ACL, writing nothing', async () => {
    const client = kafka({ mechanism: 'scram-sha-512', username: 'alice', password: 'alice pw' });
    const adminClient = client.admin();
    await adminClient.connect();
    expect(await adminClient.listTopics()).toEqual(['shared']);
    await adminClient.disconnect();
    const before = await httpValues('secret');
    const producer = client.producer();
    await producer.connect();
    await expect(producer.send({ topic: 'secret', messages: [{ value: 'no' }] })).rejects.toThrow();
    await producer.disconnect();
    expect(await httpValues('secret')).toEqual(before);
  });
});

describe('SASL with kcat', () => {
  for (const mechanism of ['SCRAM-SHA-512', 'PLAIN']) {
    it(`produces and consumes with ${mechanism} over SASL_PLAINTEXT`, async () => {
      const auth = ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', `sasl.mechanism=${mechanism}`, '-X', 'sasl.username=alice', '-X', 'sasl.password=alice pw'];
      const produced = await kcat(['-b', t.kafka!.address, ...auth, '-P', '-t', 'shared'], `kcat ${mechanism}\n`);
      expect(produced.code, produced.stderr).toBe(0);
      const consumed = await kcat(['-b', t.kafka!.address, ...auth, '-C', '-t', 'shared', '-o', 'beginning', '-e', '-f', '%s\n']);
      expect(consumed.code, consumed.stderr).toBe(0);
      expect(consumed.stdout.toString()).toContain(`kcat ${mechanism}`);
    });
  }

  it('fails with a wrong password', async () => {
    const run = await kcat(['-b', t.kafka!.address, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanism=SCRAM-SHA-512', '-X', 'sasl.username=alice', '-X', 'sasl.password=wrong', '-L', '-m', '5']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/[Aa]uthentication/);
  });
});
