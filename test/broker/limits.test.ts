/**
 * Limits on what clients can hold: stalled connections are closed, long-polls and live tails are
 * bounded in number (answered 429 with Retry-After past the bound). Small bounds via BuildOptions.limits.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, startBroker, type TestBroker } from './support/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker({ limits: { longPollsMax: 2, liveSubscribersMax: 1, headersTimeoutMs: 300, requestTimeoutMs: 600, connectionsCheckIntervalMs: 100 } });
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'lim', partitions: 1 } });
});
afterAll(async () => broker.close());

describe('limits', () => {
  it('closes a connection that stalls in the middle of its request headers (slowloris)', async () => {
    const { port } = new URL(broker.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('POST /v1/topics/lim/records HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n');
    const closed = await new Promise<boolean>((resolve) => {
      socket.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 5000);
    });
    expect(closed).toBe(true);
    expect((await call(`${broker.url}/v1/topics/lim`)).body.partitionDetails[0].highWatermark).toBe(0);
  });

  it('bounds waiting long-polls', async () => {
    const controller = new AbortController();
    const url = `${broker.url}/v1/topics/lim/partitions/0/records?offset=latest&maxWaitMs=5000`;
    const waiting = [fetch(url, { signal: controller.signal }).catch(() => null), fetch(url, { signal: controller.signal }).catch(() => null)];
    await vi.waitFor(async () => expect(await (await fetch(`${broker.url}/metrics`)).text()).toMatch(/^spool_long_polls_waiting 2$/m), { timeout: 5000 });
    const third = await call(url);
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe('SPOOL_ERR_TOO_MANY_SUBSCRIBERS');
    expect(third.headers.get('retry-after')).toBe('1');
    controller.abort();
    await Promise.all(waiting);
  });

  it('bounds live subscribers', async () => {
    const controller = new AbortController();
    const first = await fetch(`${broker.url}/v1/topics/lim/live`, { signal: controller.signal });
    expect(first.status).toBe(200);
    const second = await call(`${broker.url}/v1/topics/lim/live`);
    expect(second.status).toBe(429);
    expect(second.body.error.code).toBe('SPOOL_ERR_TOO_MANY_SUBSCRIBERS');
    controller.abort();
  });
});
