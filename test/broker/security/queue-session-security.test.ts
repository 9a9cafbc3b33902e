/**
 * A queue session's upgrade request meets every check an HTTP request does: authentication (401
 * with the challenge), the receive ACLs (403 naming the missing one), the cookie's same-origin rule
 * (a WebSocket upgrade changes state, though it is a GET: cross-site WebSocket hijacking), and
 * quotaConnectionsPerPrincipal (a session holds its connection's slot for its whole life).
 */
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeCredit } from '../../../storage/codec/index.js';
import type { TestBroker } from '../support/broker.js';
import { openSession, sessionUrl } from '../queues/session-support.js';
import { admin, bearer, startSecuredBroker } from './support.js';

describe('queue session security', () => {
  let t: TestBroker;
  let worker: string;
  let cookie: string;
  // The admin's calls over one connection: fetch()'s pool would open several, past its quota of 1.
  let connection: Client;
  const send = async (method: 'POST' | 'PUT' | 'DELETE', path: string, body: unknown, headers: Record<string, string> = admin) => {
    const answer = await connection.request({ method, path, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: answer.statusCode, headers: answer.headers, body: (await answer.body.json()) as any };
  };
  const grant = async (acls: unknown[]) => expect((await send('POST', '/v1/admin/acls', { acls })).status).toBe(200);
  const topicRead = { principal: 'User:worker', resourceType: 'topic', resourceName: 'jobs', operation: 'Read', permission: 'allow' };
  const produce = async () => expect((await send('POST', '/v1/topics/jobs/records', { records: [{ value: 'after' }] })).status).toBe(200);
  /** The worker's session once its one connection slot is free again (a closed session gives it back as its socket closes). */
  const workerSession = async (token: string) => vi.waitFor(() => openSession(sessionUrl(t.url), bearer(token)));

  beforeAll(async () => {
    t = await startSecuredBroker({ settings: { quotaConnectionsPerPrincipal: 1 } });
    connection = new Client(t.url, { pipelining: 1 });
    expect((await send('POST', '/v1/topics', { name: 'jobs' })).status).toBe(201);
    expect((await send('POST', '/v1/topics/jobs/records', { records: [{ value: 1 }] })).status).toBe(200);
    expect((await send('PUT', '/v1/topics/jobs/queues/workers', {})).status).toBe(201);
    worker = (await send('POST', '/v1/admin/tokens', { user: 'worker' })).body.token;
    // A browser's principal of its own (the admin's slot is held by this connection).
    await grant(['queue:workers', 'topic:jobs'].map((resource) => ({ principal: 'User:viewer', resourceType: resource.split(':')[0], resourceName: resource.split(':')[1], operation: 'Read', permission: 'allow' })));
    const login = await send('POST', '/v1/session', { token: (await send('POST', '/v1/admin/tokens', { user: 'viewer' })).body.token }, {});
    cookie = String(login.headers['set-cookie']).split(';')[0]!;
  });
  afterAll(async () => {
    await connection.close();
    await t.close();
  });

  it('answers 401 with the challenge without credentials, 403 without the receive ACLs, and opens with them', async () => {
    await expect(openSession(sessionUrl(t.url))).rejects.toMatchObject({ status: 401, body: { error: { code: 'SPOOL_ERR_UNAUTHENTICATED' } } });
    await expect(openSession(sessionUrl(t.url), bearer('spool_0000000000000000_' + 'A'.repeat(43)))).rejects.toMatchObject({ status: 401 });
    await expect(openSession(sessionUrl(t.url), bearer(worker))).rejects.toMatchObject({ status: 403, body: { error: { code: 'SPOOL_ERR_FORBIDDEN', resourceType: 'queue' } } });
    await grant([{ principal: 'User:worker', resourceType: 'queue', resourceName: 'workers', operation: 'Read', permission: 'allow' }]);
    // Read on the queue alone is not enough: a receive reads the topic too.
    await expect(openSession(sessionUrl(t.url), bearer(worker))).rejects.toMatchObject({ status: 403, body: { error: { resourceType: 'topic', resource: 'jobs' } } });
    await grant([{ principal: 'User:worker', resourceType: 'topic', resourceName: 'jobs', operation: 'Read', permission: 'allow' }]);
    const session = await openSession(sessionUrl(t.url), bearer(worker));
    session.ws.send(encodeCredit(1));
    await vi.waitFor(() => expect(session.messages()).toHaveLength(1));
    session.ws.close();
    await session.closed;
  });

  it('holds a connection slot of its principal while open: one session too many is refused 429', async () => {
    const first = await openSession(sessionUrl(t.url), bearer(worker));
    await expect(openSession(sessionUrl(t.url), bearer(worker))).rejects.toMatchObject({ status: 429, body: { error: { code: 'SPOOL_ERR_QUOTA_EXCEEDED', limit: 'quotaConnectionsPerPrincipal' } } });
    first.ws.close();
    await first.closed;
    await vi.waitFor(async () => {
      const again = await openSession(sessionUrl(t.url), bearer(worker));
      again.ws.close();
      await again.closed;
    });
  });

  it('closes an open session with 4403 once its ACLs no longer allow a receive, before pushing what came after', async () => {
    const session = await workerSession(worker);
    session.ws.send(encodeCredit(10));
    const pushed = session.messages().length;
    expect((await send('DELETE', '/v1/admin/acls', { acls: [topicRead] })).body.removed).toHaveLength(1);
    await produce();
    expect(await session.closed).toEqual({ code: 4403, reason: 'SPOOL_ERR_FORBIDDEN' });
    expect(session.frames.at(-1)).toMatchObject({ type: 'error', code: 'SPOOL_ERR_FORBIDDEN' });
    expect(session.messages()).toHaveLength(pushed);
    await grant([topicRead]);
  });

  it('closes an open session with 4401 once its token is revoked, before pushing what came after', async () => {
    const fresh = (await send('POST', '/v1/admin/tokens', { user: 'worker' })).body as { token: string; id: string };
    const session = await workerSession(fresh.token);
    session.ws.send(encodeCredit(10));
    const pushed = session.messages().length;
    expect((await connection.request({ method: 'DELETE', path: `/v1/admin/tokens/${fresh.id}`, headers: admin }).then(async (answer) => (await answer.body.dump(), answer.statusCode)))).toBeLessThan(300);
    await produce();
    expect(await session.closed).toEqual({ code: 4401, reason: 'SPOOL_ERR_UNAUTHENTICATED' });
    expect(session.messages()).toHaveLength(pushed);
  });

  it('refuses a session carried by the cookie alone from another origin, and takes it from the broker\'s own', async () => {
    await expect(openSession(sessionUrl(t.url), { cookie, origin: 'http://localhost:1' })).rejects.toMatchObject({ status: 403, body: { error: { code: 'SPOOL_ERR_CROSS_ORIGIN' } } });
    const own = await openSession(sessionUrl(t.url), { cookie, origin: `http://${new URL(t.url).host}` });
    own.ws.close();
    await own.closed;
  });
});
