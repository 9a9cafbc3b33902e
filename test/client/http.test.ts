import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../../client/http.js';

/**
 * The request deadline of client/http.ts against a real server that misbehaves on purpose: no
 * answer at all, headers without the body, or an answer in time.
 */
let server: Server;
let url: string;
const stalled: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    if (request.url?.startsWith('/silent')) {
      stalled.push(response);
      return;
    }
    if (request.url?.startsWith('/half')) {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      response.write('{"started":');
      stalled.push(response);
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // undici is loaded on a client's first request: loaded here, so the short deadlines below time the requests alone.
  const warm = new HttpClient(url, { connections: 1, requestTimeoutMs: 30_000 });
  await warm.request({ method: 'GET', path: '/ok' });
  await warm.close();
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

let http: HttpClient;
afterEach(async () => {
  for (const response of stalled.splice(0)) response.destroy();
  await http.close();
});

describe('HttpClient request deadline', () => {
  it('answers in time: the answer, over the pool and over a lane', async () => {
    http = new HttpClient(url, { connections: 1, requestTimeoutMs: 5_000 });
    const answer = await http.request({ method: 'POST', path: '/ok', body: { a: 1 } });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body.toString())).toEqual({ ok: true });
    expect((await http.request({ method: 'POST', path: '/ok', body: Buffer.from('x'), lane: 1 })).status).toBe(200);
  });

  it('fails with SPOOL_ERR_REQUEST_TIMEOUT when no answer comes', async () => {
    http = new HttpClient(url, { connections: 1, requestTimeoutMs: 100 });
    await expect(http.request({ method: 'GET', path: '/silent' })).rejects.toMatchObject({ code: 'SPOOL_ERR_REQUEST_TIMEOUT' });
  });

  it('the same on a pipelined lane', async () => {
    http = new HttpClient(url, { connections: 1, requestTimeoutMs: 100 });
    await expect(http.request({ method: 'POST', path: '/silent', body: Buffer.from('x'), lane: 0 })).rejects.toMatchObject({ code: 'SPOOL_ERR_REQUEST_TIMEOUT' });
  });

  it('counts the body too: headers in time and a body that never ends time out', async () => {
    http = new HttpClient(url, { connections: 1, requestTimeoutMs: 100 });
    await expect(http.request({ method: 'GET', path: '/half' })).rejects.toMatchObject({ code: 'SPOOL_ERR_REQUEST_TIMEOUT' });
  });

  it('waitMs extends the deadline of a long-poll', async () => {
    http = new HttpClient(url, { connections: 1, requestTimeoutMs: 50 });
    const startedAt = performance.now();
    await expect(http.request({ method: 'GET', path: '/silent', waitMs: 200 })).rejects.toMatchObject({ code: 'SPOOL_ERR_REQUEST_TIMEOUT' });
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(240);
  });

  it('the caller\'s signal aborts the request (SPOOL_ERR_CLIENT_CLOSED), before or during it', async () => {
    http = new HttpClient(url, { connections: 1, requestTimeoutMs: 10_000 });
    const during = new AbortController();
    const pending = http.request({ method: 'GET', path: '/silent', signal: during.signal });
    setImmediate(() => during.abort());
    await expect(pending).rejects.toMatchObject({ code: 'SPOOL_ERR_CLIENT_CLOSED' });
    const before = new AbortController();
    before.abort();
    await expect(http.request({ method: 'GET', path: '/ok', signal: before.signal })).rejects.toMatchObject({ code: 'SPOOL_ERR_CLIENT_CLOSED' });
  });
});
