/**
 * TLS on the HTTP listener (security/tls.ts): Spool's client over https with a private CA, the
 * principal of a client certificate (Kafka's DEFAULT DN form) under ACLs, and the refusals: a
 * client trusting another CA, a client certificate of another CA or expired, none when the request
 * carries no other credential, a wrong password, a plaintext client on the TLS port.
 */
import { request as httpsRequest } from 'node:https';
import { connect as connectTcp } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spool } from '../../../client/index.js';
import { startBroker, type TestBroker } from '../support/broker.js';
import { ADMIN_PRINCIPAL, ALICE_PRINCIPAL, clientTls, makeTestPki, renegotiation, type TestPki } from './certificates.js';

let pki: TestPki;
let t: TestBroker;
const clients: Spool[] = [];

function client(options: ConstructorParameters<typeof Spool>[0] = {}): Spool {
  const spool = new Spool({ url: t.url, requestTimeoutMs: 10_000, ...options });
  clients.push(spool);
  return spool;
}

beforeAll(async () => {
  pki = makeTestPki();
  t = await startBroker({
    settings: { tlsCert: pki.server.cert, tlsKey: pki.server.key, tlsCa: pki.caFile, tlsClientAuth: 'optional', superUsers: `${ADMIN_PRINCIPAL};User:ops` },
    limits: { authFailureDelayMsBase: 1, authFailureDelayMsMax: 2 },
  });
  const admin = client({ tls: clientTls(pki, pki.admin) });
  await admin.security.putUser('bob', 'bob secret');
  await admin.admin.createTopic({ name: 'shared', partitions: 1 });
});

afterAll(async () => {
  await Promise.allSettled(clients.map((spool) => spool.close()));
  await t?.close();
  pki?.remove();
});

describe('HTTPS with Spool\'s client', () => {
  it('serves https:// and takes a certificate principal named as a superuser', async () => {
    expect(t.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const admin = client({ tls: clientTls(pki, pki.admin) });
    await admin.producer().send('shared', [{ value: 'over tls' }]);
    const records = await admin.admin.listTopics();
    expect(records.map((topic) => topic.name)).toContain('shared');
  });

  it('runs a queue session over wss:// with the certificate principal (the upgrade is authenticated by the handshake)', async () => {
    const admin = client({ tls: clientTls(pki, pki.admin) });
    await admin.admin.createTopic({ name: 'tls-jobs', partitions: 1 });
    await admin.producer<number>().send('tls-jobs', [{ value: 1 }, { value: 2 }]);
    const queue = admin.queue<number>('tls-jobs', 'workers', { prefetch: 2 });
    await queue.configure();
    const seen: number[] = [];
    for await (const message of queue) {
      seen.push(message.value);
      await message.ack();
      if (seen.length === 2) break;
    }
    await queue.close();
    expect(seen.sort()).toEqual([1, 2]);
    expect(await queue.describe()).toMatchObject({ available: 0, inFlight: 0, totals: { acked: 2 } });
    // Without a certificate or credentials the upgrade is refused like any request: no message is pushed.
    const anonymous = client({ tls: clientTls(pki) }).queue<number>('tls-jobs', 'workers');
    await expect(anonymous[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'SPOOL_ERR_UNAUTHENTICATED', status: 401 });
  });

  it('authorizes a client certificate as User:<subject DN> against the ACLs', async () => {
    const alice = client({ tls: clientTls(pki, pki.alice) });
    const refused = await alice.admin.describeTopic('shared').catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'SPOOL_ERR_FORBIDDEN', status: 403 });
    expect((refused as Error).message).toContain(ALICE_PRINCIPAL);
    const admin = client({ tls: clientTls(pki, pki.admin) });
    await admin.security.addAcls([{ principal: ALICE_PRINCIPAL, resourceType: 'topic', resourceName: 'shared', operation: 'Describe', permission: 'allow' }]);
    await expect(alice.admin.describeTopic('shared')).resolves.toMatchObject({ name: 'shared' });
  });

  it('lets credentials win over the certificate: Basic over TLS is bob, and a wrong password is refused', async () => {
    const bob = client({ tls: clientTls(pki, pki.alice), user: 'bob', password: 'bob secret' });
    const refused = await bob.admin.describeTopic('shared').catch((error: unknown) => error);
    expect((refused as Error).message).toContain('User:bob may not');
    const wrong = client({ tls: clientTls(pki), user: 'bob', password: 'wrong' });
    await expect(wrong.admin.listTopics()).rejects.toMatchObject({ code: 'SPOOL_ERR_UNAUTHENTICATED' });
  });

  it('answers 401 to a client with neither a certificate nor credentials (tlsClientAuth optional)', async () => {
    await expect(client({ tls: clientTls(pki) }).admin.listTopics()).rejects.toMatchObject({ code: 'SPOOL_ERR_UNAUTHENTICATED', status: 401 });
  });
});

/** A POST /v1/topics over TLS with admin's certificate and the given headers: its status. */
function certificatePost(headers: Record<string, string>): Promise<number> {
  const url = new URL(t.url);
  const body = JSON.stringify({ name: `csrf-${Math.random().toString(36).slice(2)}`, partitions: 1 });
  return new Promise((resolve, reject) => {
    const request = httpsRequest({
      host: url.hostname, port: Number(url.port), path: '/v1/topics', method: 'POST', agent: false,
      headers: { 'content-type': 'application/json', ...headers }, ...clientTls(pki, pki.admin),
    }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.once('error', reject);
    request.end(body);
  });
}

describe('cross-site requests carried by a client certificate', () => {
  it('refuses a browser\'s cross-site POST authenticated by the certificate alone', async () => {
    expect(await certificatePost({ origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })).toBe(403);
    expect(await certificatePost({ 'sec-fetch-site': 'same-site' })).toBe(403);
    expect(await certificatePost({ origin: 'https://evil.example' })).toBe(403);
  });

  it('accepts the same POST from the broker\'s own origin, and from a client that is no browser', async () => {
    expect(await certificatePost({ 'sec-fetch-site': 'same-origin' })).toBe(201);
    expect(await certificatePost({ origin: t.url })).toBe(201);
    expect(await certificatePost({})).toBe(201);
  });
});

describe('refused TLS connections', () => {
  it('fails a client that trusts another CA (or only the public ones)', async () => {
    await expect(client({ tls: { ca: pki.read(pki.otherCaFile) } }).admin.listTopics()).rejects.toMatchObject({ code: 'SPOOL_ERR_NETWORK' });
    await expect(client().admin.listTopics()).rejects.toMatchObject({ code: 'SPOOL_ERR_NETWORK' });
  });

  it('ends the handshake of a client certificate of another CA, or expired, though tlsClientAuth is optional', async () => {
    for (const pem of [pki.stranger, pki.expired]) {
      const refused = await client({ tls: clientTls(pki, pem) }).admin.listTopics().catch((error: unknown) => error);
      expect(refused, pem.cert).toMatchObject({ code: 'SPOOL_ERR_NETWORK' });
    }
  });

  it('closes a plaintext client on the TLS port at once, without an answer', async () => {
    const [host, port] = [new URL(t.url).hostname, Number(new URL(t.url).port)];
    const socket = connectTcp(port, host);
    socket.end('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    await new Promise((resolve) => socket.once('close', resolve));
    expect(Buffer.concat(received).toString('latin1')).not.toContain('HTTP/1.1');
  });

  it('refuses a TLS 1.2 renegotiation', async () => {
    expect(await renegotiation(Number(new URL(t.url).port), pki.read(pki.caFile))).toMatch(/no renegotiation/);
  });

  it('offers the certificate of tlsCert, chained to tlsCa', async () => {
    const socket = connectTls({ host: '127.0.0.1', port: Number(new URL(t.url).port), ca: pki.read(pki.caFile) });
    await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    expect(socket.authorized).toBe(true);
    expect(socket.getPeerX509Certificate()?.subject).toContain('O=Spool Test\nCN=localhost');
    socket.destroy();
  });
});
