import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createGatedServer } from '../../broker/http/gated-server.js';
import { brokerLimits } from '../../broker/limits.js';

describe('the broker HTTP server gate', () => {
  let close: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await close?.();
    close = null;
  });

  it('hands requests to the app while open and answers SPOOL_ERR_SHUTTING_DOWN once closing, without calling the app', async () => {
    let open = true;
    let handled = 0;
    const server = createGatedServer(
      (_request, response) => {
        handled++;
        response.end('ok');
      },
      { isOpen: () => open, limits: brokerLimits },
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    close = () => new Promise((resolve) => server.close(() => resolve()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/topics`;

    expect(await (await fetch(url)).text()).toBe('ok');
    open = false;
    const refused = await fetch(url, { method: 'POST', body: '{}' });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toEqual({ error: { code: 'SPOOL_ERR_SHUTTING_DOWN', message: 'the broker is shutting down', retryAfterMs: 1000 } });
    expect(handled).toBe(1);
    expect(server.requestTimeout).toBe(brokerLimits.requestTimeoutMs);
    expect(server.keepAliveTimeout).toBe(brokerLimits.keepAliveTimeoutMs);
    expect(server.headersTimeout).toBe(brokerLimits.headersTimeoutMs);
    // No inactivity timeout: a long-poll or a live stream is a request being answered, not idle.
    expect(server.timeout).toBe(0);
  });
});
