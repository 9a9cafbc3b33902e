/**
 * CORS (broker/http/cors.ts): off by default; with `corsOrigin`, answers, errors, preflights and
 * the live SSE tail (a hijacked response) carry the headers a browser needs.
 */
import { get, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startBroker, type TestBroker } from '../support/broker.js';

const APP = 'http://app.test:8080';

/** The status and headers of a live tail's answer; the stream itself is closed at once. */
function liveHeaders(url: string, origin: string): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = get(url, { headers: { origin } }, (response) => {
      resolve({ status: response.statusCode ?? 0, headers: response.headers });
      request.destroy();
    });
    request.on('error', (error) => (request.destroyed ? undefined : reject(error)));
  });
}

describe('CORS off (the default)', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startBroker();
  });
  afterAll(async () => broker.close());

  it('grants no origin and answers no preflight', async () => {
    const answer = await call(`${broker.url}/v1/topics`, { headers: { origin: APP } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await call(`${broker.url}/v1/topics`, { method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(404);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('CORS for listed origins', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startBroker({ settings: { corsOrigin: `https://other.test,${APP}` } });
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'feed' } });
  });
  afterAll(async () => broker.close());

  it('grants a listed origin on answers and on errors, and no other origin', async () => {
    const answer = await call(`${broker.url}/v1/topics`, { headers: { origin: APP } });
    expect(answer.headers.get('access-control-allow-origin')).toBe(APP);
    expect(answer.headers.get('vary')).toMatch(/origin/i);
    expect(answer.headers.get('access-control-expose-headers')).toMatch(/retry-after/i);
    const missing = await call(`${broker.url}/v1/topics/nope`, { headers: { origin: APP } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe(APP);
    const stranger = await call(`${broker.url}/v1/topics`, { headers: { origin: 'http://evil.test' } });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    const lookalike = await call(`${broker.url}/v1/topics`, { headers: { origin: `${APP}.evil.test` } });
    expect(lookalike.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers a preflight for every method the API uses', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const preflight = await call(`${broker.url}/v1/topics/feed/config`, {
        method: 'OPTIONS',
        headers: { origin: APP, 'access-control-request-method': method, 'access-control-request-headers': 'content-type,authorization' },
      });
      expect(preflight.status, method).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe(APP);
      expect(preflight.headers.get('access-control-allow-methods')).toContain(method);
      expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type,authorization');
      expect(preflight.headers.get('access-control-max-age')).toBe('600');
    }
  });

  it('grants the origin on a live SSE tail', async () => {
    const live = await liveHeaders(`${broker.url}/v1/topics/feed/live`, APP);
    expect(live.status).toBe(200);
    expect(live.headers['content-type']).toContain('text/event-stream');
    expect(live.headers['access-control-allow-origin']).toBe(APP);
  });
});

describe('CORS for any origin', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startBroker({ settings: { corsOrigin: '*' } });
  });
  afterAll(async () => broker.close());

  it('answers * to every origin', async () => {
    const answer = await call(`${broker.url}/health`, { headers: { origin: 'http://anything.test' } });
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
  });
});
