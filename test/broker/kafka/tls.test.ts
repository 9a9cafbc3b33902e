/**
 * The Kafka listener over TLS (SASL_SSL and SSL, security/tls.ts): kcat (librdkafka) with
 * SCRAM-SHA-512 and PLAIN producing and consuming, KafkaJS with SSL + SASL, a client certificate's
 * principal under ACLs, and the refusals: a wrong CA, an expired client certificate, a wrong
 * password, no client certificate when required, a plaintext client on the TLS port.
 */
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spool } from '../../../client/index.js';
import { startBroker, type TestBroker } from '../support/broker.js';
import { ADMIN_PRINCIPAL, ALICE_PRINCIPAL, clientTls, makeTestPki, type Pem, type TestPki } from '../security/certificates.js';
import { kcat } from './support/kcat.js';

let pki: TestPki;
let t: TestBroker;
let admin: Spool;

beforeAll(async () => {
  pki = makeTestPki();
  t = await startBroker({
    kafka: true,
    settings: { tlsCert: pki.server.cert, tlsKey: pki.server.key, tlsCa: pki.caFile, tlsClientAuth: 'optional', superUsers: ADMIN_PRINCIPAL },
    limits: { authFailureDelayMsBase: 1, authFailureDelayMsMax: 2 },
  });
  admin = new Spool({ url: t.url, tls: clientTls(pki, pki.admin) });
  await admin.security.putUser('alice', 'alice pw');
  for (const name of ['orders', 'certified']) await admin.admin.createTopic({ name, partitions: 1 });
  await admin.security.addAcls(
    ['User:alice', ALICE_PRINCIPAL].flatMap((principal) =>
      (['Read', 'Write'] as const).map((operation) => ({ principal, resourceType: 'topic' as const, resourceName: principal === 'User:alice' ? 'orders' : 'certified', operation, permission: 'allow' as const })),
    ),
  );
  await admin.security.addAcls([{ principal: 'User:alice', resourceType: 'group', resourceName: '*', operation: 'Read', permission: 'allow' }]);
});

afterAll(async () => {
  await admin?.close();
  await t?.close();
  pki?.remove();
});

function sslArgs(caFile = pki.caFile, pem?: Pem): string[] {
  return ['-X', `ssl.ca.location=${caFile}`, ...(pem ? ['-X', `ssl.certificate.location=${pem.cert}`, '-X', `ssl.key.location=${pem.key}`] : [])];
}

function saslSsl(mechanism: string, password = 'alice pw'): string[] {
  return ['-X', 'security.protocol=SASL_SSL', '-X', `sasl.mechanism=${mechanism}`, '-X', 'sasl.username=alice', '-X', `sasl.password=${password}`, ...sslArgs()];
}

describe('kcat over SASL_SSL', () => {
  for (const mechanism of ['SCRAM-SHA-512', 'PLAIN']) {
    it(`produces and consumes with ${mechanism}`, async () => {
      const produced = await kcat(['-b', t.kafka!.address, ...saslSsl(mechanism), '-P', '-t', 'orders'], `tls ${mechanism}\n`);
      expect(produced.code, produced.stderr).toBe(0);
      const consumed = await kcat(['-b', t.kafka!.address, ...saslSsl(mechanism), '-C', '-t', 'orders', '-o', 'beginning', '-e', '-f', '%s\n']);
      expect(consumed.code, consumed.stderr).toBe(0);
      expect(consumed.stdout.toString()).toContain(`tls ${mechanism}`);
    });
  }

  it('refuses a wrong password', async () => {
    const run = await kcat(['-b', t.kafka!.address, ...saslSsl('SCRAM-SHA-512', 'wrong'), '-L', '-m', '5']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/[Aa]uthentication/);
  });

  it('refuses a broker whose certificate another CA signed (the client trusts only its own)', async () => {
    const run = await kcat(['-b', t.kafka!.address, '-X', 'security.protocol=SSL', ...sslArgs(pki.otherCaFile), '-L', '-m', '5']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/certificate verify failed|SSL handshake failed/);
  });
});

describe('kcat over SSL with a client certificate', () => {
  it('produces and consumes as User:<subject DN>, under its ACLs', async () => {
    const ssl = ['-X', 'security.protocol=SSL', ...sslArgs(pki.caFile, pki.alice)];
    const produced = await kcat(['-b', t.kafka!.address, ...ssl, '-P', '-t', 'certified'], 'by certificate\n');
    expect(produced.code, produced.stderr).toBe(0);
    const consumed = await kcat(['-b', t.kafka!.address, ...ssl, '-C', '-t', 'certified', '-o', 'beginning', '-e', '-f', '%s\n']);
    expect(consumed.stdout.toString()).toContain('by certificate');
    // The certificate's principal holds no ACL on `orders`: the write is refused, nothing written.
    const refused = await kcat(['-b', t.kafka!.address, ...ssl, '-P', '-t', 'orders', '-X', 'message.timeout.ms=3000'], 'not allowed\n');
    expect(refused.code).not.toBe(0);
    const orders = await kcat(['-b', t.kafka!.address, ...saslSsl('SCRAM-SHA-512'), '-C', '-t', 'orders', '-o', 'beginning', '-e', '-f', '%s\n']);
    expect(orders.code, orders.stderr).toBe(0);
    expect(orders.stdout.toString()).not.toContain('not allowed');
  });

  it('refuses an expired client certificate', async () => {
    const run = await kcat(['-b', t.kafka!.address, '-X', 'security.protocol=SSL', ...sslArgs(pki.caFile, pki.expired), '-L', '-m', '5']);
    expect(run.code).not.toBe(0);
  });
});

describe('KafkaJS with SSL and SASL', () => {
  function kafka(sasl: SASLOptions | undefined, ssl: boolean | object = { ca: [pki.read(pki.caFile)] }) {
    return new Kafka({ clientId: 'tls-test', brokers: [t.kafka!.address], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 3000, ssl, ...(sasl ? { sasl } : {}) } as never);
  }

  it('produces and consumes with SCRAM-SHA-512 over TLS', async () => {
    const client = kafka({ mechanism: 'scram-sha-512', username: 'alice', password: 'alice pw' });
    const producer = client.producer();
    await producer.connect();
    await producer.send({ topic: 'orders', messages: [{ value: 'kafkajs over tls' }] });
    await producer.disconnect();
    const consumer = client.consumer({ groupId: 'tls-readers' });
    await consumer.connect();
    await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
    await expect.poll(() => seen, { timeout: 20_000 }).toContain('kafkajs over tls');
    await consumer.disconnect();
  });

  it('refuses a wrong password and a client trusting another CA', async () => {
    const wrong = kafka({ mechanism: 'scram-sha-512', username: 'alice', password: 'nope' }).admin();
    await expect(wrong.connect()).rejects.toThrow(/SASL|[Aa]uthentication/);
    await wrong.disconnect();
    const otherCa = kafka({ mechanism: 'plain', username: 'alice', password: 'alice pw' }, { ca: [pki.read(pki.otherCaFile)] }).admin();
    await expect(otherCa.connect()).rejects.toThrow(/certificate|self.signed|verify/i);
    await otherCa.disconnect();
  });

  it('fails a plaintext client on the TLS port promptly', async () => {
    const plain = kafka({ mechanism: 'plain', username: 'alice', password: 'alice pw' }, false).admin();
    await expect(plain.connect()).rejects.toThrow();
    await plain.disconnect();
  });
});
