/**
 * The client and the CLI toward an https:// broker (client/tls.ts): the CA and a client
 * certificate reach every connection (the HTTP pool and a live subscription's own), careless
 * settings are refused, and the CLI reads --ca/--cert/--key (or SPOOL_CA...) files.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, startBroker } from '../../broker/embedded.js';
import { Spool } from '../../client/index.js';
import { ADMIN_PRINCIPAL, clientTls, makeTestPki, type TestPki } from '../broker/security/certificates.js';
import { runSpool } from './support/cli.js';

let pki: TestPki;
let broker: EmbeddedBroker;

beforeAll(async () => {
  pki = makeTestPki();
  broker = await startBroker({ kafka: false, tlsCert: pki.server.cert, tlsKey: pki.server.key, tlsCa: pki.caFile, tlsClientAuth: 'required', superUsers: ADMIN_PRINCIPAL });
});
afterAll(async () => {
  await broker?.close();
  pki?.remove();
});

describe('Spool client with tls', () => {
  it('produces, and receives live records on the subscription\'s own connection, with a client certificate', async () => {
    const spool = broker.client({ tls: clientTls(pki, pki.admin) });
    await spool.admin.createTopic({ name: 'live', partitions: 1 });
    const seen: string[] = [];
    const subscription = spool.subscribe<string>('live', (message) => void seen.push(message.value), { codec: 'string' });
    await subscription.ready;
    await spool.producer<string>({ codec: 'string' }).send('live', [{ value: 'hello over tls' }]);
    await expect.poll(() => seen, { timeout: 10_000 }).toEqual(['hello over tls']);
  });

  it('follows an event stream on the subscription\'s own connection, with a client certificate', async () => {
    const spool = broker.client({ tls: clientTls(pki, pki.admin) });
    await spool.admin.createTopic({ name: 'orders', partitions: 1, config: { streamIndex: true } });
    const orders = spool.streams('orders');
    await orders.append('order-1', [{ type: 'Placed', data: { total: 5 } }]);
    const iterator = orders.subscribe('order-1')[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value).toMatchObject({ version: 0, type: 'Placed', data: { total: 5 } });
    await iterator.return?.(undefined);
  });

  it('refuses tls options with an http:// URL, and a certificate without its key', () => {
    expect(() => new Spool({ url: 'http://127.0.0.1:9292', tls: { ca: 'x' } })).toThrow(expect.objectContaining({ code: 'SPOOL_ERR_INVALID_ARGUMENT', message: expect.stringContaining('https://') }));
    expect(() => new Spool({ url: broker.url, tls: { cert: pki.read(pki.admin.cert) } })).toThrow(expect.objectContaining({ code: 'SPOOL_ERR_INVALID_ARGUMENT' }));
  });
});

describe('spool CLI with --ca, --cert and --key', () => {
  it('lists topics with the files as flags or environment variables', async () => {
    const flags = await runSpool(broker.url, ['--ca', pki.caFile, '--cert', pki.admin.cert, '--key', pki.admin.key, 'topics', 'list']);
    expect(flags.code, flags.stderr).toBe(0);
    expect(flags.stdout).toContain('live');
    const env = await runSpool(broker.url, ['topics', 'list'], undefined, { SPOOL_CA: pki.caFile, SPOOL_CLIENT_CERT: pki.admin.cert, SPOOL_CLIENT_KEY: pki.admin.key });
    expect(env.code, env.stderr).toBe(0);
  });

  it('fails without the client certificate (exit 1, a network error), and calls a bad file bad usage naming it', async () => {
    const without = await runSpool(broker.url, ['--ca', pki.caFile, 'topics', 'list']);
    expect(without.code).toBe(1);
    expect(without.stderr).toContain('SPOOL_ERR_NETWORK');
    const missing = await runSpool(broker.url, ['--ca', join(pki.dir, 'missing.pem'), 'topics', 'list']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing.pem');
    const notPem = await runSpool(broker.url, ['--ca', pki.dir + '/ca.cnf', 'topics', 'list']);
    expect(notPem.code).toBe(2);
    expect(notPem.stderr).toContain('is not a PEM file');
  });
});
