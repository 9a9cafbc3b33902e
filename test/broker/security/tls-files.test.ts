/**
 * The TLS settings and files (security/tls.ts): settings that do not go together and bad files
 * refuse the start with a code naming the setting and the file, before the data directory is
 * touched; tlsClientAuth required refuses a client without a certificate on both listeners; a
 * reload with bad files keeps the certificates in use.
 */
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { connect as connectTcp } from 'node:net';
import { Writable } from 'node:stream';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startBroker as startEmbedded } from '../../../broker/embedded.js';
import { Spool } from '../../../client/index.js';
import { ADMIN_PRINCIPAL, clientTls, makeTestPki, offeredSubject, servedFiles, type TestPki } from './certificates.js';

let pki: TestPki;

beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => pki?.remove());

function bigFile(): string {
  const path = join(pki.dir, 'big.pem');
  writeFileSync(path, Buffer.alloc(1024 * 1024 + 1, 'A'));
  return path;
}

describe('refused at start', () => {
  const cases: Array<[string, () => Record<string, string>, RegExp]> = [
    ['a missing certificate file', () => ({ tlsCert: join(pki.dir, 'nope.pem'), tlsKey: pki.server.key }), /^tlsCert .*nope\.pem cannot be read: ENOENT/],
    ['a directory as the key', () => ({ tlsCert: pki.server.cert, tlsKey: pki.dir }), /^tlsKey .* cannot be read: not a regular file/],
    ['a device as the certificate', () => ({ tlsCert: '/dev/zero', tlsKey: pki.server.key }), /^tlsCert \/dev\/zero cannot be read: not a regular file/],
    ['a file past tlsFileBytesMax', () => ({ tlsCert: bigFile(), tlsKey: pki.server.key }), /^tlsCert .*big\.pem is 1048577 bytes, more than the 1048576/],
    ['a key as the certificate', () => ({ tlsCert: pki.server.key, tlsKey: pki.server.key }), /^tlsCert .*server\.key is not a PEM certificate/],
    ['a certificate as the key', () => ({ tlsCert: pki.server.cert, tlsKey: pki.server.cert }), /^tlsKey .*server\.pem is not an unencrypted PEM private key/],
    ['the key of another certificate', () => ({ tlsCert: pki.server.cert, tlsKey: pki.alice.key }), /^tlsKey .*alice\.key does not match the certificate in tlsCert .*server\.pem/],
    ['a CA file with no certificate', () => ({ tlsCert: pki.server.cert, tlsKey: pki.server.key, tlsCa: pki.server.key }), /^tlsCa .*server\.key holds no PEM certificate/],
  ];
  for (const [what, settings, message] of cases) {
    it(`${what}: SPOOL_ERR_TLS_FILE naming it, with no data directory made`, async () => {
      const dataDir = join(pki.dir, `data-${Math.random().toString(36).slice(2)}`);
      const error = await startEmbedded({ ...settings(), dataDir }).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'SPOOL_ERR_TLS_FILE' });
      expect((error as Error).message).toMatch(message);
      expect(existsSync(dataDir)).toBe(false);
    });
  }

  const combinations: Array<[string, Record<string, string>, string]> = [
    ['a key without a certificate', { tlsKey: 'key.pem' }, 'tlsKey'],
    ['a certificate without a key', { tlsCert: 'cert.pem' }, 'tlsKey'],
    ['tlsClientAuth without tlsCa', { tlsCert: 'cert.pem', tlsKey: 'key.pem', tlsClientAuth: 'required' }, 'tlsClientAuth'],
    ['tlsCa without TLS', { tlsCa: 'ca.pem' }, 'tlsCa'],
    ['an SSL Kafka listener without TLS', { kafkaSecurityProtocol: 'SASL_SSL' }, 'kafkaSecurityProtocol'],
  ];
  for (const [what, settings, key] of combinations) {
    it(`${what}: SPOOL_ERR_INVALID_CONFIG naming ${key}`, async () => {
      await expect(startEmbedded(settings)).rejects.toMatchObject({ code: 'SPOOL_ERR_INVALID_CONFIG', context: { key } });
    });
  }

  it('refuses a protocol Kafka does not have, and a client-auth mode that does not exist', async () => {
    await expect(startEmbedded({ kafkaSecurityProtocol: 'TLS' })).rejects.toThrow(/kafkaSecurityProtocol must be empty or one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL/);
    await expect(startEmbedded({ tlsClientAuth: 'want' as never })).rejects.toThrow(/tlsClientAuth must be one of none, optional, required/);
  });
});

describe('tlsClientAuth required', () => {
  it('refuses a client without a certificate on both listeners, and serves one with a certificate', async () => {
    const broker = await startEmbedded({ tlsCert: pki.server.cert, tlsKey: pki.server.key, tlsCa: pki.caFile, tlsClientAuth: 'required', superUsers: 'User:CN=admin,O=Spool Test' });
    try {
      await expect(broker.client({ tls: clientTls(pki) }).admin.listTopics()).rejects.toMatchObject({ code: 'SPOOL_ERR_NETWORK' });
      await expect(broker.client({ tls: clientTls(pki, pki.admin) }).admin.listTopics()).resolves.toEqual([]);
      const kafka = (cert?: boolean) =>
        new Kafka({ clientId: 'required', brokers: [broker.kafkaBootstrap!], logLevel: logLevel.NOTHING, retry: { retries: 0 }, ssl: { ca: [pki.read(pki.caFile)], ...(cert ? { cert: pki.read(pki.admin.cert), key: pki.read(pki.admin.key) } : {}) } }).admin();
      const without = kafka();
      await expect(without.connect()).rejects.toThrow();
      await without.disconnect();
      const withCert = kafka(true);
      await withCert.connect();
      expect(await withCert.listTopics()).toEqual([]);
      await withCert.disconnect();
    } finally {
      await broker.close();
    }
  });
});

describe('safe defaults', () => {
  it('counts client certificates as authentication: a non-loopback address needs no allowAnonymous, and a client without one is refused', async () => {
    const settings = { host: '0.0.0.0', kafka: false, tlsCert: pki.server.cert, tlsKey: pki.server.key, tlsCa: pki.caFile };
    await expect(startEmbedded({ ...settings, tlsClientAuth: 'none' })).rejects.toMatchObject({ code: 'SPOOL_ERR_INVALID_CONFIG', message: expect.stringContaining('without authentication') });
    const broker = await startEmbedded({ ...settings, tlsClientAuth: 'optional' });
    try {
      const url = broker.url.replace('0.0.0.0', '127.0.0.1');
      const anonymous = new Spool({ url, tls: { ca: pki.read(pki.caFile) } });
      await expect(anonymous.admin.listTopics()).rejects.toMatchObject({ code: 'SPOOL_ERR_UNAUTHENTICATED' });
      await anonymous.close();
    } finally {
      await broker.close();
    }
  });
});

describe('kafkaSecurityProtocol', () => {
  it('leaves the Kafka listener in plaintext with PLAINTEXT while the HTTP API speaks TLS', async () => {
    const broker = await startEmbedded({ tlsCert: pki.server.cert, tlsKey: pki.server.key, kafkaSecurityProtocol: 'PLAINTEXT' });
    try {
      expect(broker.url).toMatch(/^https:/);
      const admin = new Kafka({ clientId: 'plaintext', brokers: [broker.kafkaBootstrap!], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
      await admin.connect();
      expect(await admin.listTopics()).toEqual([]);
      await admin.disconnect();
    } finally {
      await broker.close();
    }
  });
});

describe('quotaConnectionsPerPrincipal', () => {
  /** A Kafka connection with a client certificate, once the broker answered its ApiVersions (so it was admitted). */
  async function admitted(port: number): Promise<TLSSocket> {
    const socket = connectTls({ host: '127.0.0.1', port, ca: pki.read(pki.caFile), cert: pki.read(pki.alice.cert), key: pki.read(pki.alice.key) });
    await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    // ApiVersions v0: size 10, api key 18, version 0, correlation id 1, null client id.
    socket.write(Buffer.from('0000000a0012000000000001ffff', 'hex'));
    await new Promise((resolve, reject) => socket.once('data', resolve).once('close', () => reject(new Error('closed'))));
    return socket;
  }

  it('counts connections authenticated by a client certificate, and gives the slot back when one closes', async () => {
    const broker = await startEmbedded({ tlsCert: pki.server.cert, tlsKey: pki.server.key, tlsCa: pki.caFile, tlsClientAuth: 'required', quotaConnectionsPerPrincipal: 1 });
    const port = Number(broker.kafkaBootstrap!.split(':')[1]);
    try {
      const first = await admitted(port);
      await expect(admitted(port)).rejects.toThrow('closed');
      first.destroy();
      await vi.waitFor(async () => (await admitted(port)).destroy(), { timeout: 5000, interval: 50 });
    } finally {
      await broker.close();
    }
  });
});

describe('stalled handshakes', () => {
  it('closes a connection that never starts its handshake after headersTimeoutMs, on both listeners', async () => {
    const broker = await startEmbedded({ tlsCert: pki.server.cert, tlsKey: pki.server.key, limits: { headersTimeoutMs: 300 } });
    try {
      const ports = [Number(new URL(broker.url).port), Number(broker.kafkaBootstrap!.split(':')[1])];
      const closed = ports.map((port) => new Promise<void>((resolve) => connectTcp(port, '127.0.0.1').once('close', () => resolve())));
      await Promise.all(closed);
    } finally {
      await broker.close();
    }
  });

  it('drops Kafka connections past kafkaConnectionsMax at accept, handshaking ones included', async () => {
    const broker = await startEmbedded({ tlsCert: pki.server.cert, tlsKey: pki.server.key, limits: { kafkaConnectionsMax: 1 } });
    try {
      const port = Number(broker.kafkaBootstrap!.split(':')[1]);
      const holding = connectTcp(port, '127.0.0.1');
      await new Promise((resolve) => holding.once('connect', resolve));
      const refused = connectTcp(port, '127.0.0.1');
      await new Promise((resolve) => refused.once('close', resolve));
      expect(holding.destroyed).toBe(false);
      holding.destroy();
    } finally {
      await broker.close();
    }
  });
});

describe('audit log and session cookie', () => {
  it('audits certificate logins and failed handshakes, and makes the session cookie Secure', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const broker = await startEmbedded({ kafka: false, logger: { level: 'info', stream }, tlsCert: pki.server.cert, tlsKey: pki.server.key, tlsCa: pki.caFile, tlsClientAuth: 'optional', superUsers: ADMIN_PRINCIPAL });
    try {
      const admin = broker.client({ tls: clientTls(pki, pki.admin) });
      const { token } = await admin.security.createToken('bob');
      await expect(broker.client({ tls: clientTls(pki, pki.stranger) }).admin.listTopics()).rejects.toMatchObject({ code: 'SPOOL_ERR_NETWORK' });
      const audit = () => lines.filter((line) => line.name === 'spool.audit');
      await vi.waitFor(() => expect(audit()).toContainEqual(expect.objectContaining({ action: 'tls.handshake', outcome: 'failure', listener: 'http', reason: expect.stringContaining('client certificate refused') })));
      expect(audit()).toContainEqual(expect.objectContaining({ action: 'authenticate', principal: ADMIN_PRINCIPAL, scheme: 'tls', listener: 'http', outcome: 'success' }));
      const agent = new Agent({ connect: { ca: pki.read(pki.caFile) } });
      const session = await request(`${broker.url}/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }), dispatcher: agent });
      expect(session.statusCode).toBe(200);
      expect(String(session.headers['set-cookie'])).toMatch(/; Secure/);
      await session.body.dump();
      await agent.close();
    } finally {
      await broker.close();
    }
  });
});

describe('reload', () => {
  it('keeps the certificates in use when the new files are bad, and takes good ones for new connections', async () => {
    const { cert, key } = servedFiles(pki, 'reload');
    const broker = await startEmbedded({ tlsCert: cert, tlsKey: key, kafkaSecurityProtocol: 'SSL' });
    const ca = pki.read(pki.caFile);
    const httpPort = Number(new URL(broker.url).port);
    const kafkaPort = Number(broker.kafkaBootstrap!.split(':')[1]);
    try {
      copyFileSync(pki.rotatedServer.cert, cert); // the key no longer matches
      expect(broker.reloadTls()).toBe(false);
      expect(await offeredSubject(httpPort, ca)).toContain('O=Spool Test\n');
      writeFileSync(key, 'not a key');
      expect(broker.reloadTls()).toBe(false);
      copyFileSync(pki.rotatedServer.key, key);
      expect(broker.reloadTls()).toBe(true);
      expect(await offeredSubject(httpPort, ca)).toContain('O=Spool Test Rotated');
      expect(await offeredSubject(kafkaPort, ca)).toContain('O=Spool Test Rotated');
      const spool = new Spool({ url: broker.url, tls: { ca } });
      await expect(spool.admin.listTopics()).resolves.toEqual([]);
      await spool.close();
    } finally {
      await broker.close();
    }
  });

  it('answers false without TLS', async () => {
    const broker = await startEmbedded({ kafka: false });
    expect(broker.reloadTls()).toBe(false);
    await broker.close();
  });
});
