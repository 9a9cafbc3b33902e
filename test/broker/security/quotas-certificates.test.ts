/**
 * quotaConnectionsPerPrincipal counts a TLS client certificate's principal from the moment the
 * connection is made (a SASL user's at SaslAuthenticate): on Kafka one connection too many is
 * closed, on HTTPS its first request is answered 429; the count drops as connections close.
 */
import { connect as connectTls } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RawKafkaClient } from '../kafka/support/raw-client.js';
import { startBroker, type TestBroker } from '../support/broker.js';
import { holdConnection } from '../support/held-connection.js';
import { ADMIN_PRINCIPAL, clientTls, makeTestPki, type TestPki } from './certificates.js';

let pki: TestPki;
let t: TestBroker;

beforeAll(async () => {
  pki = makeTestPki();
  t = await startBroker({
    kafka: true,
    settings: { tlsCert: pki.server.cert, tlsKey: pki.server.key, tlsCa: pki.caFile, tlsClientAuth: 'optional', superUsers: ADMIN_PRINCIPAL, quotaConnectionsPerPrincipal: 1 },
  });
});
afterAll(async () => {
  await t?.close();
  pki?.remove();
});

async function answered(client: RawKafkaClient): Promise<boolean> {
  client.send('ApiVersions', 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
  return (await client.nextFrame()) !== null;
}

describe('connections per certificate principal', () => {
  it('closes one connection past the quota, and takes a new one once the first closed', async () => {
    const first = await RawKafkaClient.connectTls(t.kafka!, clientTls(pki, pki.alice));
    expect(await answered(first)).toBe(true);
    const second = await RawKafkaClient.connectTls(t.kafka!, clientTls(pki, pki.alice));
    expect(await answered(second)).toBe(false);
    const other = await RawKafkaClient.connectTls(t.kafka!, clientTls(pki, pki.admin));
    expect(await answered(other)).toBe(true);
    other.close();
    first.close();
    await vi.waitFor(async () => {
      const again = await RawKafkaClient.connectTls(t.kafka!, clientTls(pki, pki.alice));
      const ok = await answered(again);
      again.close();
      expect(ok).toBe(true);
    }, { timeout: 10_000, interval: 100 }); // the close reaches the broker asynchronously; a loaded machine takes its time
  });
});

describe('HTTPS connections per certificate principal', () => {
  /** The status of one request over a new HTTPS connection with alice's certificate. */
  const aliceStatus = async () => {
    const connection = holdConnection(t.url, clientTls(pki, pki.alice));
    const answer = await connection.get('/v1/topics/none');
    connection.close();
    return answer;
  };

  it('counts a silent TLS connection from its handshake: a second connection\'s request is answered 429', async () => {
    await vi.waitFor(async () => expect((await aliceStatus()).status).toBe(403), { timeout: 10_000, interval: 100 }); // alice holds no ACL
    const { port } = new URL(t.url);
    const silent = connectTls({ host: '127.0.0.1', port: Number(port), ...clientTls(pki, pki.alice) });
    await new Promise((resolve, reject) => silent.once('secureConnect', resolve).once('error', reject));
    await vi.waitFor(async () => {
      const refused = await aliceStatus();
      expect([refused.status, refused.body.error?.limit]).toEqual([429, 'quotaConnectionsPerPrincipal']);
    }, { timeout: 10_000, interval: 100 });
    silent.destroy();
    await vi.waitFor(async () => expect((await aliceStatus()).status).toBe(403), { timeout: 10_000, interval: 100 });
  });
});
