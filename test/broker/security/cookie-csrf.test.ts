/**
 * Cookie CSRF from a sibling origin (finding 10): SameSite=Strict does not stop a page on another
 * port of localhost (same site, other origin) from sending the console's cookie. A state-changing
 * request authenticated by the cookie alone must come from the broker's own origin (Sec-Fetch-Site:
 * same-origin, or an Origin naming the request's Host); Bearer and Basic requests are unaffected.
 * With corsOrigin set, a preflight is answered with CORS headers, not a 401.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type TestBroker } from '../support/broker.js';
import { admin, bearer, startSecuredBroker, tokenFor } from './support.js';

const SIBLING = 'http://localhost:1';

describe('cookie-authenticated requests from another origin (finding 10)', () => {
  let t: TestBroker;
  let cookie: string;
  let token: string;
  beforeAll(async () => {
    t = await startSecuredBroker({ settings: { corsOrigin: 'http://localhost:5173' } });
    expect((await call(`${t.url}/v1/topics`, { method: 'POST', headers: admin, json: { name: 't' } })).status).toBe(201);
    token = (await tokenFor(t.url, 'admin')).token;
    const login = await call(`${t.url}/v1/session`, { method: 'POST', json: { token } });
    expect(login.status).toBe(200);
    cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  });
  afterAll(() => t.close());

  const host = () => new URL(t.url).host;
  const clean = (headers: Record<string, string>) => call(`${t.url}/v1/topics/t/clean`, { method: 'POST', headers });

  it('refuses a cookie-only POST from a sibling origin, or with no origin at all', async () => {
    const foreign = await clean({ cookie, origin: SIBLING, 'sec-fetch-site': 'same-site' });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe('SPOOL_ERR_CROSS_ORIGIN');
    expect((await clean({ cookie, origin: SIBLING })).status).toBe(403);
    expect((await clean({ cookie })).status).toBe(403);
    expect((await clean({ cookie, origin: 'null' })).status).toBe(403);
  });

  it('accepts the same request from the broker\'s own origin, and cookie GETs from anywhere', async () => {
    expect((await clean({ cookie, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    expect((await clean({ cookie, origin: `http://${host()}` })).status).toBe(200);
    expect((await call(`${t.url}/v1/topics`, { headers: { cookie, origin: SIBLING } })).status).toBe(200);
  });

  it('leaves Bearer and Basic requests alone whatever their origin', async () => {
    expect((await clean({ ...bearer(token), origin: SIBLING })).status).toBe(200);
    expect((await clean({ ...admin, origin: SIBLING })).status).toBe(200);
  });

  it('answers a CORS preflight with its headers, not a 401', async () => {
    const preflight = await call(`${t.url}/v1/topics/t/clean`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });
});
