/**
 * The Kafka listener's connection limits (kafka/listener.ts), the review's findings of issue 17:
 * kafkaConnectionsMax counts TLS connections at TCP accept, before their handshake (300 silent TCP
 * clients were held by a TLS listener capped at 5); kafkaConnectionsPerAddressMax caps one
 * address; kafkaAuthenticationTimeoutMs closes a connection that has not authenticated when the
 * broker requires credentials.
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startBroker, type TestBroker } from '../support/broker.js';
import { clientTls, makeTestPki, type TestPki } from '../security/certificates.js';
import { startSecuredBroker } from '../security/support.js';
import { RawKafkaClient } from './support/raw-client.js';

const opened: Array<{ destroy(): void }> = [];
afterEach(() => {
  for (const socket of opened.splice(0)) socket.destroy();
});

/** A TCP connection that sends nothing; `closed` turns true when the broker closes it. */
function silentConnection(address: { host: string; port: number }): { socket: Socket; closed: () => boolean } {
  let closed = false;
  const socket = connectTcp(address.port, address.host);
  socket.on('error', () => {});
  socket.once('close', () => (closed = true));
  opened.push(socket);
  return { socket, closed: () => closed };
}

async function rawClient(address: { host: string; port: number }, localAddress?: string): Promise<RawKafkaClient> {
  const client = await RawKafkaClient.connect(address, localAddress);
  opened.push(client.socket);
  return client;
}

async function answersApiVersions(client: RawKafkaClient): Promise<boolean> {
  return client.request('ApiVersions', 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' }).then(
    (answer) => answer.errorCode === 0,
    () => false,
  );
}

describe('kafkaConnectionsMax on the TLS listener', () => {
  let pki: TestPki;
  let t: TestBroker;
  beforeAll(async () => {
    pki = makeTestPki();
    t = await startBroker({ kafka: true, settings: { tlsCert: pki.server.cert, tlsKey: pki.server.key, tlsCa: pki.caFile, kafkaSecurityProtocol: 'SSL' }, limits: { kafkaConnectionsMax: 5 } });
  });
  afterAll(async () => {
    await t?.close();
    pki?.remove();
  });

  it('counts silent TCP connections at accept, before their handshake: past the cap they are closed', async () => {
    const silent = Array.from({ length: 8 }, () => silentConnection(t.kafka!));
    await vi.waitFor(() => expect(silent.filter((connection) => connection.closed())).toHaveLength(3));
    for (const connection of silent) connection.socket.destroy();
    // Their slots come back: a TLS client completes its handshake.
    await vi.waitFor(async () => {
      const socket = connectTls({ host: t.kafka!.host, port: t.kafka!.port, ...clientTls(pki) });
      opened.push(socket);
      await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject).once('close', reject));
    });
  });

});

describe('kafkaConnectionsPerAddressMax', () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startBroker({ kafka: true, limits: { kafkaConnectionsMax: 20, kafkaConnectionsPerAddressMax: 3 } });
  });
  afterAll(() => t?.close());

  it('closes a fourth connection from one address, serves another address, and counts closes', async () => {
    const first = await Promise.all([1, 2, 3].map(() => rawClient(t.kafka!)));
    for (const client of first) expect(await answersApiVersions(client)).toBe(true);
    const fourth = await rawClient(t.kafka!);
    await fourth.closed;
    expect(await answersApiVersions(await rawClient(t.kafka!, '127.0.0.2'))).toBe(true);
    first[0]!.close();
    await vi.waitFor(async () => expect(await answersApiVersions(await rawClient(t.kafka!))).toBe(true));
  });
});

describe('kafkaAuthenticationTimeoutMs', () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startSecuredBroker({ kafka: true, limits: { kafkaAuthenticationTimeoutMs: 3000, authFailureDelayMsBase: 1, authFailureDelayMsMax: 2 } });
  });
  afterAll(() => t?.close());

  it('closes a connection that has not authenticated in time, and keeps an authenticated one', async () => {
    const silent = silentConnection(t.kafka!);
    const authenticated = await rawClient(t.kafka!);
    expect(await authenticated.authenticatePlain('admin', 'admin secret')).toBe(0);
    await vi.waitFor(() => expect(silent.closed()).toBe(true), { timeout: 15_000 });
    expect(await answersApiVersions(authenticated)).toBe(true);
  });
});
