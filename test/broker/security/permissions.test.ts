/**
 * The permission table (broker/security/permissions.ts) against what the broker really serves:
 * every route fastify registered and every Kafka API the listener offers has an entry. Then, over
 * the whole route table: without credentials, with wrong ones, with a principal lacking the ACL, and
 * with one holding exactly the ACLs the table names: 401 / 401 / 403 / success; the log, offsets,
 * groups, queues, users, tokens and ACLs unchanged by every refused request.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { apisByKey } from '../../../broker/kafka/apis.js';
import { bodyValues } from '../../../broker/security/http-security.js';
import { httpPermissions, kafkaPermissions, type Need } from '../../../broker/security/permissions.js';
import { call, type TestBroker } from '../support/broker.js';
import { admin, bearer, startSecuredBroker, tokenFor } from './support.js';

interface Fixture {
  params?: () => Record<string, string | number>;
  query?: string;
  body?: unknown;
  /** An SSE route: success is the 200 and its event-stream headers. */
  stream?: boolean;
  /** A WebSocket route: success is the upgrade (101). */
  webSocket?: boolean;
}

const ctx = { memberHeartbeat: '', memberLeave: '', tokenId: '' };
const topic = { topic: 't' };
const queue = { topic: 't', queue: 'q' };

/** One request per route that succeeds given the route's ACLs. */
const fixtures: Record<string, Fixture> = {
  'GET /health': {},
  'GET /metrics': {},
  'GET /console': {},
  'GET /console/*': { params: () => ({ '*': 'index.html' }) },
  'POST /v1/session': { body: { token: '<session token>' } },
  'DELETE /v1/session': {},
  'GET /v1/stats': {},
  'GET /v1/topics': {},
  'POST /v1/topics': { body: { name: 'created', partitions: 1 } },
  'GET /v1/topics/:topic': { params: () => topic },
  'DELETE /v1/topics/:topic': { params: () => ({ topic: 'doomed' }) },
  'PATCH /v1/topics/:topic/config': { params: () => topic, body: { retentionMs: 86_400_000 } },
  'POST /v1/topics/:topic/clean': { params: () => topic },
  'POST /v1/topics/:topic/records': { params: () => topic, body: { records: [{ value: 1 }] } },
  'GET /v1/topics/:topic/partitions/:partition/records': { params: () => ({ topic: 't', partition: 0 }), query: 'offset=0' },
  'GET /v1/topics/:topic/partitions/:partition/offsets': { params: () => ({ topic: 't', partition: 0 }) },
  'GET /v1/topics/:topic/live': { params: () => topic, stream: true },
  'GET /v1/live': { query: 'topic=t', stream: true },
  'POST /v1/topics/:topic/streams/:stream/events': { params: () => ({ topic: 'events', stream: 'order-1' }), body: { events: [{ type: 'placed', data: { total: 1 } }] } },
  'POST /v1/topics/:topic/streams/events': { params: () => ({ topic: 'events' }), body: { appends: [{ stream: 'order-2', events: [{ type: 'placed', data: { total: 1 } }] }] } },
  'GET /v1/topics/:topic/streams/:stream/events': { params: () => ({ topic: 'events', stream: 'order-1' }) },
  'GET /v1/topics/:topic/streams/:stream': { params: () => ({ topic: 'events', stream: 'order-1' }) },
  'GET /v1/topics/:topic/streams': { params: () => ({ topic: 'events' }) },
  'GET /v1/topics/:topic/streams/:stream/live': { params: () => ({ topic: 'events', stream: 'order-1' }), stream: true },
  'GET /v1/topics/:topic/streams/:stream/metadata': { params: () => ({ topic: 'events', stream: 'order-1' }) },
  'PUT /v1/topics/:topic/streams/:stream/metadata': { params: () => ({ topic: 'events', stream: 'order-1' }), body: { maxCount: 1000 } },
  'DELETE /v1/topics/:topic/streams/:stream': { params: () => ({ topic: 'events', stream: 'order-deleted' }) },
  'POST /v1/topics/:topic/streams/:stream/erase': { params: () => ({ topic: 'events', stream: 'order-erased' }) },
  'GET /v1/live/topics': {},
  'POST /v1/producers': { body: {} },
  'GET /v1/groups': {},
  'GET /v1/groups/:group': { params: () => ({ group: 'g' }) },
  'DELETE /v1/groups/:group': { params: () => ({ group: 'doomed-group' }) },
  'POST /v1/groups/:group/members': { params: () => ({ group: 'joined' }), body: { topics: ['t'] } },
  'POST /v1/groups/:group/members/:memberId/heartbeat': { params: () => ({ group: 'hb', memberId: ctx.memberHeartbeat }), body: {} },
  'DELETE /v1/groups/:group/members/:memberId': { params: () => ({ group: 'leave', memberId: ctx.memberLeave }) },
  'POST /v1/groups/:group/offsets': { params: () => ({ group: 'g' }), body: { offsets: [{ topic: 't', partition: 0, offset: 1 }] } },
  'GET /v1/groups/:group/offsets': { params: () => ({ group: 'g' }) },
  'POST /v1/groups/:group/reset': { params: () => ({ group: 'g' }), body: { topic: 't', to: 'earliest' } },
  'GET /v1/queues': {},
  'PUT /v1/topics/:topic/queues/:queue': { params: () => ({ topic: 't', queue: 'made' }), body: {} },
  'GET /v1/topics/:topic/queues/:queue': { params: () => queue },
  'DELETE /v1/topics/:topic/queues/:queue': { params: () => ({ topic: 't', queue: 'doomed-queue' }) },
  'POST /v1/topics/:topic/queues/:queue/receive': { params: () => queue, body: { max: 1, waitMs: 0 } },
  'GET /v1/topics/:topic/queues/:queue/session': { params: () => queue, webSocket: true },
  'POST /v1/topics/:topic/queues/:queue/ack': { params: () => queue, body: { receipts: ['none'] } },
  'POST /v1/topics/:topic/queues/:queue/nack': { params: () => queue, body: { receipts: ['none'] } },
  'POST /v1/topics/:topic/queues/:queue/reject': { params: () => queue, body: { receipts: ['none'] } },
  'POST /v1/topics/:topic/queues/:queue/redrive': { params: () => queue, body: { dryRun: true } },
  'GET /v1/admin/users': {},
  'PUT /v1/admin/users/:user': { params: () => ({ user: 'newcomer' }), body: { password: 'pw' } },
  'DELETE /v1/admin/users/:user': { params: () => ({ user: 'leaver' }) },
  'GET /v1/admin/tokens': {},
  'POST /v1/admin/tokens': { body: { user: 'robot' } },
  'DELETE /v1/admin/tokens/:id': { params: () => ({ id: ctx.tokenId }) },
  'GET /v1/admin/acls': {},
  'POST /v1/admin/acls': { body: { acls: [{ principal: 'User:x', resourceType: 'topic', resourceName: 'x', operation: 'Read', permission: 'allow' }] } },
  'DELETE /v1/admin/acls': { body: { acls: [{ principal: 'User:x', resourceType: 'topic', resourceName: 'x', operation: 'Read', permission: 'allow' }] } },
};

function pathOf(url: string, fixture: Fixture): string {
  const params = fixture.params?.() ?? {};
  return url.replace(/:(\w+)|\*/g, (_, name: string | undefined) => encodeURIComponent(String(params[name ?? '*']))) + (fixture.query ? `?${fixture.query}` : '');
}

/** The literal ACL entries that grant exactly what the table says the fixture's request needs. */
function grantsFor(needs: readonly Need[], fixture: Fixture, principal: string): Array<Record<string, unknown>> {
  const params = fixture.params?.() ?? {};
  const query = new URLSearchParams(fixture.query ?? '');
  return needs.flatMap((need) => {
    const names = need.resource.startsWith(':')
      ? [String(params[need.resource.slice(1)])]
      : need.resource.startsWith('body.')
        ? bodyValues(fixture.body, need.resource.slice(5)).map(String)
        : need.resource.startsWith('query.')
          ? query.getAll(need.resource.slice(6))
          : [need.resource];
    return names.map((resourceName) => ({ principal, resourceType: need.resourceType, resourceName, operation: need.operation, permission: 'allow' }));
  });
}

/** Opens a WebSocket and closes it at once: 101, or the refusal's status and JSON body. */
function upgrade(url: string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), { headers });
    socket.once('open', () => {
      socket.close();
      resolve({ status: 101, body: null });
    });
    socket.once('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    socket.once('error', reject);
  });
}

async function send(t: TestBroker, method: string, url: string, fixture: Fixture, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const path = pathOf(url, fixture);
  if (fixture.webSocket) return upgrade(`${t.url}${path}`, headers);
  if (fixture.stream) {
    const answer = await request(`${t.url}${path}`, { method: method as 'GET', headers });
    const status = answer.statusCode;
    const body = status >= 400 ? await answer.body.json() : null;
    if (status < 400) answer.body.destroy();
    return { status, body };
  }
  return call(`${t.url}${path}`, { method, headers, ...(fixture.body !== undefined ? { json: fixture.body } : {}) });
}

async function state(t: TestBroker): Promise<unknown> {
  const get = async (path: string) => (await call(`${t.url}${path}`, { headers: admin })).body;
  const topics = ((await get('/v1/topics')) as { topics: Array<{ name: string }> }).topics;
  const details = await Promise.all(topics.map((entry) => get(`/v1/topics/${entry.name}`)));
  const groups = (await get('/v1/groups')) as { groups?: Array<{ group: string }> };
  return {
    topics: details.map((detail: any) => ({ name: detail.name, config: detail.config, partitions: detail.partitionDetails.map((p: any) => [p.highWatermark, p.bytes]) })),
    groups: JSON.stringify(groups),
    offsets: await get('/v1/groups/g/offsets'),
    queues: ((await get('/v1/queues')) as any).queues.map((q: any) => [q.topic, q.name, q.available, q.inFlight]),
    users: await get('/v1/admin/users'),
    tokens: await get('/v1/admin/tokens'),
    acls: await get('/v1/admin/acls'),
  };
}

describe('the permission table', () => {
  let t: TestBroker;
  let bare: string;
  let granted: string;

  beforeAll(async () => {
    t = await startSecuredBroker({ kafka: true, limits: { authFailureDelayMsBase: 1, authFailureDelayMsMax: 2 } });
    bare = (await tokenFor(t.url, 'bare')).token;
    granted = (await tokenFor(t.url, 'granted')).token;
    const asAdmin = (method: string, path: string, json?: unknown) => call(`${t.url}${path}`, { method, headers: admin, ...(json !== undefined ? { json } : {}) });
    await asAdmin('POST', '/v1/topics', { name: 't', partitions: 2 });
    await asAdmin('POST', '/v1/topics', { name: 'doomed', partitions: 1 });
    await asAdmin('POST', '/v1/topics', { name: 'events', partitions: 1, config: { streamIndex: true } });
    await asAdmin('POST', '/v1/topics/events/streams/order-1/events', { events: [{ type: 'opened', data: {} }] });
    await asAdmin('POST', '/v1/topics/events/streams/order-deleted/events', { events: [{ type: 'opened', data: {} }] }); // a soft delete needs an event
    await asAdmin('POST', '/v1/topics/t/records', { records: [{ value: 1 }, { value: 2 }] });
    await asAdmin('POST', '/v1/groups/g/offsets', { offsets: [{ topic: 't', partition: 0, offset: 1 }] });
    await asAdmin('POST', '/v1/groups/doomed-group/offsets', { offsets: [{ topic: 't', partition: 0, offset: 1 }] });
    ctx.memberHeartbeat = (await asAdmin('POST', '/v1/groups/hb/members', { topics: ['t'] })).body.memberId;
    ctx.memberLeave = (await asAdmin('POST', '/v1/groups/leave/members', { topics: ['t'] })).body.memberId;
    await asAdmin('PUT', '/v1/topics/t/queues/q', {});
    await asAdmin('PUT', '/v1/topics/t/queues/doomed-queue', {});
    await asAdmin('PUT', '/v1/admin/users/leaver', { password: 'pw' });
    ctx.tokenId = (await tokenFor(t.url, 'someone')).id;
  });
  afterAll(() => t.close());

  it('has an entry for every route fastify registered, and no entry for a route that does not exist', () => {
    const registered = t.broker.servedRoutes;
    expect(registered.filter((key) => !(key in httpPermissions))).toEqual([]);
    expect(Object.keys(httpPermissions).filter((key) => !registered.includes(key))).toEqual([]);
    expect(Object.keys(fixtures).sort()).toEqual([...new Set(registered)].sort());
  });

  it('has an entry for every Kafka API the listener serves', () => {
    const served = [...apisByKey.values()].map((api) => api.name);
    expect(served.filter((name) => !(name in kafkaPermissions))).toEqual([]);
  });

  it('answers 401 without credentials and with wrong ones, and 403 without the ACL, on every non-public route, changing nothing', async () => {
    const before = await state(t);
    const wrong = bearer(`${bare.slice(0, -1)}${bare.endsWith('A') ? 'B' : 'A'}`);
    let checked = 0;
    for (const [key, rule] of Object.entries(httpPermissions)) {
      const [method, url] = key.split(' ') as [string, string];
      const fixture = fixtures[key]!;
      if (rule.access === 'public' || (rule.access === 'needs' && rule.publicUnless === 'metricsAuth')) {
        const answer = await send(t, method, url, { ...fixture, body: key === 'POST /v1/session' ? { token: 'spool_0000000000000000_' + 'A'.repeat(43) } : fixture.body }, {});
        if (key === 'POST /v1/session') expect(answer.status, key).toBe(401);
        else expect(answer.status, key).toBeLessThan(400);
        continue;
      }
      const none = await send(t, method, url, fixture, {});
      expect([key, none.status, none.body?.error?.code]).toEqual([key, 401, 'SPOOL_ERR_UNAUTHENTICATED']);
      const forged = await send(t, method, url, fixture, wrong);
      expect([key, forged.status]).toEqual([key, 401]);
      if (rule.access === 'needs') {
        const refused = await send(t, method, url, fixture, bearer(bare));
        expect([key, refused.status, refused.body?.error?.code]).toEqual([key, 403, 'SPOOL_ERR_FORBIDDEN']);
        expect(refused.body.error.principal).toBe('User:bare');
        expect(rule.needs.map((need) => need.operation)).toContain(refused.body.error.operation);
      }
      checked += 1;
    }
    expect(checked).toBeGreaterThan(35);
    expect(await state(t)).toEqual(before);
  }, 120_000);

  it('answers each route to a principal holding exactly the ACLs the table names for it', async () => {
    const session = await tokenFor(t.url, 'granted');
    fixtures['POST /v1/session']!.body = { token: session.token };
    for (const [key, rule] of Object.entries(httpPermissions)) {
      const [method, url] = key.split(' ') as [string, string];
      const fixture = fixtures[key]!;
      const grants = rule.access === 'needs' ? grantsFor(rule.needs, fixture, 'User:granted') : [];
      if (grants.length > 0) expect((await call(`${t.url}/v1/admin/acls`, { method: 'POST', headers: admin, json: { acls: grants } })).status).toBe(200);
      const answer = await send(t, method, url, fixture, bearer(granted));
      expect([key, answer.status < 400 ? 'ok' : answer.body]).toEqual([key, 'ok']);
      if (grants.length > 0) await call(`${t.url}/v1/admin/acls`, { method: 'DELETE', headers: admin, json: { acls: grants } });
    }
  }, 120_000);
});
