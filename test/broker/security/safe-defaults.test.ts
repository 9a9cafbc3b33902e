/**
 * Safe defaults: open only on loopback with no users; a non-loopback address refuses to start
 * without authentication unless allowAnonymous (then a warning); Host checked against DNS
 * rebinding; the audit log names principals and addresses and never a secret.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { buildBroker } from '../../../broker/app.js';
import { loadBrokerConfig } from '../../../broker/config.js';
import { brokerLimits } from '../../../broker/limits.js';
import { openDatabase } from '../../../broker/metadata/database.js';
import { Credentials } from '../../../broker/security/credentials.js';
import { call } from '../support/broker.js';
import { ADMIN_PASSWORD, admin, basic, startSecuredBroker } from './support.js';

function logSink(): { lines: Array<Record<string, unknown>>; stream: Writable } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, stream };
}

const dirs: string[] = [];
async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'spool-security-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function build(settings: Record<string, unknown>, stream?: Writable) {
  const config = loadBrokerConfig({ values: { kafkaPort: 0, port: 0, dataDir: await dataDir(), ...settings } });
  return buildBroker({ config, logger: stream ? { level: 'info', stream } : false });
}

describe('safe defaults', () => {
  it('runs open on loopback with no users, and says so once at start-up', async () => {
    const sink = logSink();
    const broker = await build({ host: '127.0.0.1' }, sink.stream);
    await broker.close();
    expect(sink.lines.filter((line) => String(line.msg).includes('open to every process on this machine'))).toHaveLength(1);
  });

  it('refuses a non-loopback address without users or tokens, naming the address and the way out', async () => {
    for (const settings of [{ host: '0.0.0.0' }, { host: '127.0.0.1', kafkaHost: '0.0.0.0', kafkaPort: 19092 }]) {
      await expect(build(settings)).rejects.toMatchObject({ code: 'SPOOL_ERR_INVALID_CONFIG', message: expect.stringContaining('--allow-anonymous') });
    }
  });

  it('starts on a non-loopback address with --allow-anonymous, warning loudly', async () => {
    const sink = logSink();
    const broker = await build({ host: '0.0.0.0', allowAnonymous: true }, sink.stream);
    await broker.close();
    expect(sink.lines.some((line) => line.level === 40 && String(line.msg).startsWith('ANONYMOUS ACCESS'))).toBe(true);
  });

  it('starts on a non-loopback address once a user exists (added to the stopped broker\'s data directory)', async () => {
    const dir = await dataDir();
    const db = openDatabase(dir, true, 'test');
    await new Credentials(db, brokerLimits).putUser('admin', ADMIN_PASSWORD);
    db.close();
    const config = loadBrokerConfig({ values: { kafkaPort: 0, port: 0, host: '0.0.0.0', dataDir: dir } });
    const broker = await buildBroker({ config, logger: false });
    const { port } = await broker.listen();
    expect((await call(`http://127.0.0.1:${port}/v1/topics`)).status).toBe(401);
    await broker.close();
  });
});

describe('Host header (DNS rebinding)', () => {
  it('answers IP addresses, localhost and allowedHosts, and refuses other names with 421 before anything else', async () => {
    const config = loadBrokerConfig({ values: { kafkaPort: 0, port: 0, dataDir: await dataDir(), allowedHosts: 'spool.example' } });
    const broker = await buildBroker({ config, logger: false });
    const { url } = await broker.listen();
    try {
      const get = async (host: string) => {
        const answer = await request(`${url}/health`, { headers: { host } });
        return { status: answer.statusCode, body: (await answer.body.json()) as { error?: { code: string } } };
      };
      for (const host of ['127.0.0.1:9292', 'localhost:9292', 'LOCALHOST', '[::1]:9292', 'spool.example', 'spool.example.:80', '10.1.2.3']) expect((await get(host)).status, host).toBe(200);
      for (const host of ['evil.example', 'spool.example.evil.example', 'localhost.evil.example:9292', 'evil.example:80']) {
        const refused = await get(host);
        expect(refused.status, host).toBe(421);
        expect(refused.body.error?.code).toBe('SPOOL_ERR_HOST_NOT_ALLOWED');
      }
    } finally {
      await broker.close();
    }
  });
});

describe('audit log', () => {
  it('records authentications, user, token and ACL changes and destructive actions under its own logger name, without secrets', async () => {
    const sink = logSink();
    const dir = await dataDir();
    const config = loadBrokerConfig({ values: { kafkaPort: 0, port: 0, dataDir: dir, superUsers: 'User:admin' } });
    const broker = await buildBroker({ config, logger: { level: 'info', stream: sink.stream } });
    const { url } = await broker.listen();
    try {
      await call(`${url}/v1/admin/users/admin`, { method: 'PUT', json: { password: ADMIN_PASSWORD } });
      const token = (await call(`${url}/v1/admin/tokens`, { method: 'POST', headers: admin, json: { user: 'alice' } })).body.token as string;
      await call(`${url}/v1/topics`, { method: 'POST', headers: admin, json: { name: 'doomed', partitions: 1 } });
      await call(`${url}/v1/admin/acls`, { method: 'POST', headers: admin, json: { acls: [{ principal: 'User:alice', resourceType: 'topic', resourceName: 'doomed', operation: 'Read', permission: 'allow' }] } });
      await call(`${url}/v1/topics/doomed`, { method: 'DELETE', headers: admin });
      await call(`${url}/v1/topics`, { headers: basic('admin', 'not the password') });
      await call(`${url}/v1/topics`, { headers: { authorization: `Bearer ${token}` } });
    } finally {
      await broker.close();
    }
    const audit = sink.lines.filter((line) => line.name === 'spool.audit');
    const actions = audit.map((line) => `${line.action} ${line.outcome} ${line.principal}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'user.add success User:ANONYMOUS',
        'authenticate success User:admin',
        'token.create success User:admin',
        'acl.add success User:admin',
        'DELETE /v1/topics/:topic success User:admin',
        'authenticate failure null',
        'authenticate success User:alice',
      ]),
    );
    expect(audit.every((line) => typeof line.address === 'string')).toBe(true);
    const everything = sink.lines.map((line) => JSON.stringify(line)).join('\n');
    expect(everything).not.toContain(ADMIN_PASSWORD);
    expect(everything).not.toContain('not the password');
    expect(everything).not.toMatch(/spool_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/);
    expect(everything).not.toContain(Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64'));
  });
});

describe('session cookie (the console, EventSource)', () => {
  it('trades a token for an HttpOnly SameSite=Strict cookie that authenticates fetches and SSE, until the token is revoked', async () => {
    const t = await startSecuredBroker();
    try {
      const { token, id } = (await call(`${t.url}/v1/admin/tokens`, { method: 'POST', headers: admin, json: { user: 'admin' } })).body;
      const login = await call(`${t.url}/v1/session`, { method: 'POST', json: { token } });
      expect(login.status).toBe(200);
      const cookie = login.headers.get('set-cookie')!;
      expect(cookie).toMatch(/^spool_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
      const session = cookie.split(';')[0]!;
      expect((await call(`${t.url}/v1/topics`, { headers: { cookie: session } })).status).toBe(200);
      await call(`${t.url}/v1/topics`, { method: 'POST', headers: admin, json: { name: 'tail', partitions: 1 } });
      const live = await request(`${t.url}/v1/topics/tail/live`, { headers: { cookie: session } });
      expect(live.statusCode).toBe(200);
      expect(live.headers['content-type']).toContain('text/event-stream');
      live.body.destroy();
      expect((await call(`${t.url}/v1/session`, { method: 'POST', json: { token: `${token}x` } })).status).toBe(401);
      await call(`${t.url}/v1/admin/tokens/${id}`, { method: 'DELETE', headers: admin });
      expect((await call(`${t.url}/v1/topics`, { headers: { cookie: session } })).status).toBe(401);
      expect((await call(`${t.url}/v1/topics`, { headers: { cookie: 'spool_session=forged' } })).status).toBe(401);
    } finally {
      await t.close();
    }
  });
});
