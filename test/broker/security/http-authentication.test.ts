/**
 * HTTP authentication end to end: a broker runs open until a user or token exists, then every
 * route but the public ones answers 401 without credentials or with wrong ones, 403 naming the
 * operation and resource without an ACL, and the answer with one.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type TestBroker } from '../support/broker.js';
import { admin, basic, bearer, grant, startSecuredBroker, tokenFor } from './support.js';

describe('HTTP authentication', () => {
  let t: TestBroker;
  let alice: string;

  beforeAll(async () => {
    // Wrong credentials below slow 127.0.0.1 down: small delays keep the file quick.
    t = await startSecuredBroker({ limits: { authFailureDelayMsBase: 1, authFailureDelayMsMax: 10 } });
    alice = (await tokenFor(t.url, 'alice')).token;
    await call(`${t.url}/v1/topics`, { method: 'POST', headers: admin, json: { name: 'orders', partitions: 1 } });
  });
  afterAll(() => t.close());

  it('answers 401 with WWW-Authenticate without credentials, and keeps /health open', async () => {
    const refused = await call(`${t.url}/v1/topics/orders`);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('SPOOL_ERR_UNAUTHENTICATED');
    expect(refused.headers.get('www-authenticate')).toContain('Bearer realm="spool"');
    // A browser's fetch gets no Basic challenge (it would open the browser's login box); a navigation does.
    expect(refused.headers.get('www-authenticate')).not.toContain('Basic');
    const plain = await request(`${t.url}/v1/topics/orders`);
    await plain.body.dump();
    expect(plain.statusCode).toBe(401);
    expect(plain.headers['www-authenticate']).toContain('Basic realm="spool"');
    expect((await call(`${t.url}/health`)).status).toBe(200);
    expect((await call(`${t.url}/metrics`)).status).toBe(200);
  });

  it('answers 401 to a wrong token, a forged token, a wrong password, an unknown user and an unknown scheme', async () => {
    const forged = `${alice.slice(0, -4)}AAAA`;
    for (const headers of [bearer('spool_0000000000000000_' + 'A'.repeat(43)), bearer(forged), bearer('x'), basic('admin', 'wrong'), basic('nobody', 'x'), { authorization: 'Digest abc' }, { authorization: 'Basic' }]) {
      const answer = await call(`${t.url}/v1/topics/orders`, { headers });
      expect(answer.status, JSON.stringify(headers)).toBe(401);
      expect(answer.body.error.code).toBe('SPOOL_ERR_UNAUTHENTICATED');
    }
  });

  it('answers 403 naming the operation and the resource when no ACL allows it, and the answer once one does', async () => {
    const refused = await call(`${t.url}/v1/topics/orders`, { headers: bearer(alice) });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'SPOOL_ERR_FORBIDDEN', principal: 'User:alice', operation: 'Describe', resourceType: 'topic', resource: 'orders' });
    await grant(t.url, [{ principal: 'User:alice', resourceType: 'topic', resourceName: 'ord', patternType: 'prefixed', operation: 'Read', permission: 'allow' }]);
    const allowed = await call(`${t.url}/v1/topics/orders`, { headers: bearer(alice) });
    expect(allowed.status).toBe(200);
    const write = await call(`${t.url}/v1/topics/orders/records`, { method: 'POST', headers: bearer(alice), json: { records: [{ value: 1 }] } });
    expect(write.status).toBe(403);
    expect(write.body.error.operation).toBe('Write');
  });

  it('lets superusers do everything with Basic, and caches nothing past a password change', async () => {
    const created = await call(`${t.url}/v1/admin/users/bob`, { method: 'PUT', headers: admin, json: { password: 'first' } });
    expect(created.body).toEqual({ user: 'bob', created: true });
    await grant(t.url, [{ principal: 'User:bob', resourceType: 'cluster', resourceName: 'kafka-cluster', operation: 'Describe', permission: 'allow' }]);
    expect((await call(`${t.url}/v1/topics`, { headers: basic('bob', 'first') })).status).toBe(200);
    await call(`${t.url}/v1/admin/users/bob`, { method: 'PUT', headers: admin, json: { password: 'second' } });
    expect((await call(`${t.url}/v1/topics`, { headers: basic('bob', 'first') })).status).toBe(401);
    expect((await call(`${t.url}/v1/topics`, { headers: basic('bob', 'second') })).status).toBe(200);
  });

  it('refuses a revoked token, an expired token and the tokens of a removed user', async () => {
    const carol = await tokenFor(t.url, 'carol');
    await grant(t.url, [{ principal: 'User:carol', resourceType: 'cluster', resourceName: 'kafka-cluster', operation: 'Describe', permission: 'allow' }]);
    expect((await call(`${t.url}/v1/topics`, { headers: bearer(carol.token) })).status).toBe(200);
    expect((await call(`${t.url}/v1/admin/tokens/${carol.id}`, { method: 'DELETE', headers: admin })).status).toBe(204);
    expect((await call(`${t.url}/v1/topics`, { headers: bearer(carol.token) })).status).toBe(401);

    const brief = await tokenFor(t.url, 'carol', { expiresInMs: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    await vi_waitExpired(t.url, brief.token);

    await call(`${t.url}/v1/admin/users/dave`, { method: 'PUT', headers: admin, json: { password: 'pw' } });
    const dave = await tokenFor(t.url, 'dave');
    const removed = await call(`${t.url}/v1/admin/users/dave`, { method: 'DELETE', headers: admin });
    expect(removed.body).toEqual({ user: 'dave', tokensRevoked: 1 });
    expect((await call(`${t.url}/v1/topics`, { headers: bearer(dave.token) })).status).toBe(401);
  });

  it('lists users and tokens without any secret', async () => {
    const users = await call(`${t.url}/v1/admin/users`, { headers: admin });
    expect(users.body.users.map((user: { name: string }) => user.name)).toContain('admin');
    expect(users.body.users[0].mechanisms).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-512']);
    const tokens = await call(`${t.url}/v1/admin/tokens`, { headers: admin });
    const text = JSON.stringify(tokens.body);
    expect(text).not.toContain(alice.split('_')[2]);
    expect(text).not.toContain('secret');
  });

  it('refuses bad user names, empty and oversized passwords, and bad ACL entries, by field', async () => {
    for (const name of ['a:b', 'a,b', 'a b', '*', 'x'.repeat(129)]) {
      const answer = await call(`${t.url}/v1/admin/users/${encodeURIComponent(name)}`, { method: 'PUT', headers: admin, json: { password: 'pw' } });
      expect(answer.status, name).toBe(400);
    }
    expect((await call(`${t.url}/v1/admin/users/erin`, { method: 'PUT', headers: admin, json: { password: '' } })).status).toBe(400);
    const long = await call(`${t.url}/v1/admin/users/erin`, { method: 'PUT', headers: admin, json: { password: 'é'.repeat(600) } });
    expect(long.body.error).toMatchObject({ code: 'SPOOL_ERR_BAD_REQUEST', field: 'password', limit: 1024 });
    const acl = (over: Record<string, unknown>) => call(`${t.url}/v1/admin/acls`, { method: 'POST', headers: admin, json: { acls: [{ principal: 'User:x', resourceType: 'topic', resourceName: 'a', operation: 'Read', permission: 'allow', ...over }] } });
    expect((await acl({ principal: 'alice' })).body.error).toMatchObject({ code: 'SPOOL_ERR_INVALID_PRINCIPAL', field: 'principal' });
    expect((await acl({ resourceType: 'cluster' })).body.error.field).toBe('resourceName');
    expect((await acl({ host: 'example.com' })).body.error.field).toBe('host');
    expect((await acl({ operation: 'Steal' })).status).toBe(400);
  });
});

/** Waits until an expiring token is refused (its expiry is 1 ms after creation). */
async function vi_waitExpired(url: string, token: string): Promise<void> {
  const { vi } = await import('vitest');
  await vi.waitFor(async () => expect((await call(`${url}/v1/topics`, { headers: bearer(token) })).status).toBe(401));
}
