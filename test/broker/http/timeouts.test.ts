/**
 * The HTTP timeouts at their default settings, over real sockets: a request being answered is never
 * idle (a 20 s long-poll, a live stream with its heartbeats), while a client that trickles its
 * headers (slowloris) or sends nothing is closed within headersTimeoutMs and one check interval.
 * These wait for real time (about 30 s, the tests running side by side).
 */
import { get } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerLimits } from '../../../broker/limits.js';
import { call, startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker();
  expect((await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'quiet', partitions: 1 } })).status).toBe(201);
});
afterAll(async () => broker.close());

async function openSocket(): Promise<Socket> {
  const socket = connect(Number(new URL(broker.url).port), '127.0.0.1');
  socket.on('error', () => undefined); // a write after the server closed: expected here
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

/** Milliseconds from now until the server closes the socket. */
function closedAfterMs(socket: Socket): Promise<number> {
  const startedMs = Date.now();
  return new Promise((resolve) => socket.once('close', () => resolve(Date.now() - startedMs)));
}

// Closed by the first checks after headersTimeoutMs, with 5 s for timers that slip on a loaded
// machine: still far below the 30-60 s such connections lived before the checks existed.
const promptly = brokerLimits.headersTimeoutMs + 2 * brokerLimits.connectionsCheckIntervalMs + 5_000;

describe.concurrent('HTTP timeouts at default settings', () => {
  it('answers a 20 s long-poll when it ends, not with an empty reply at the idle timeout', { timeout: 40_000 }, async () => {
    const startedMs = Date.now();
    const answer = await call(`${broker.url}/v1/topics/quiet/partitions/0/records?offset=0&maxWaitMs=20000`);
    expect(answer.status).toBe(200);
    expect(answer.body.records).toEqual([]);
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(20_000);
  });

  it('keeps an idle live stream open and sends it a heartbeat every liveHeartbeatMs', { timeout: 50_000 }, async () => {
    // Taken before the request: the broker's heartbeat clock starts later, so no heartbeat can be
    // seen sooner than liveHeartbeatMs after it (a client busy elsewhere may see them later).
    const startedMs = Date.now();
    const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) =>
      get(`${broker.url}/v1/topics/quiet/live`, { agent: false }, resolve).once('error', reject),
    );
    expect(response.statusCode).toBe(200);
    const heartbeatsAtMs: number[] = [];
    let ended = false;
    response.on('end', () => (ended = true)).on('close', () => (ended = true));
    response.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line === ': heartbeat') heartbeatsAtMs.push(Date.now() - startedMs);
    });
    await expect.poll(() => heartbeatsAtMs.length, { timeout: 3 * brokerLimits.liveHeartbeatMs, interval: 200 }).toBeGreaterThanOrEqual(2);
    expect(ended).toBe(false);
    expect(heartbeatsAtMs[0]).toBeGreaterThanOrEqual(brokerLimits.liveHeartbeatMs);
    expect(heartbeatsAtMs[1]).toBeGreaterThanOrEqual(2 * brokerLimits.liveHeartbeatMs);
    response.destroy();
  });

  it('closes a connection that trickles its headers (slowloris) within headersTimeoutMs', { timeout: 40_000 }, async () => {
    const socket = await openSocket();
    const closed = closedAfterMs(socket);
    socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // One header byte every half second: never idle, never done.
    const trickle = setInterval(() => socket.writable && socket.write('X'), 500);
    const elapsedMs = await closed;
    clearInterval(trickle);
    expect(elapsedMs).toBeLessThanOrEqual(promptly);
  });

  it('closes a connection that sends nothing within headersTimeoutMs', { timeout: 40_000 }, async () => {
    const socket = await openSocket();
    expect(await closedAfterMs(socket)).toBeLessThanOrEqual(promptly);
  });
});
