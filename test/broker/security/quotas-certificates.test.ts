/**
 * quotaConnectionsPerPrincipal counts a TLS client certificate's principal from the moment the
 * connection is made (a SASL user's at SaslAuthenticate): one connection too many is closed, and
 * the count drops as connections close.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RawKafkaClient } from '../kafka/support/raw-client.js';
import { startBroker, type TestBroker } from '../support/broker.js';
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
