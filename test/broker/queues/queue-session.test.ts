/**
 * Queue sessions against a real broker, over a real WebSocket: credit-based push, settlements by
 * binary receipt (forged and stale ones refused by index), nack and reject, leases outliving a
 * closed session, and every bound: refusals before the upgrade, malformed, oversized and
 * out-of-range frames (ERROR + close 4400, never a crash), sessions past queueSessionsMax, a worker
 * that does not read, the broker shutting down.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeBrokerFrame, encodeCredit, encodeSettle, SessionFrame, sessionReceiptOf } from '../../../storage/codec/index.js';
import { call, startBroker, type StartOptions, type TestBroker } from '../support/broker.js';
import { openSession, type RawSession, sessionUrl } from './session-support.js';

let broker: TestBroker | undefined;
const sessions: RawSession[] = [];
afterEach(async () => {
  for (const session of sessions.splice(0)) session.ws.terminate();
  await broker?.close();
  broker = undefined;
});

async function setup(records: unknown[], options: StartOptions = {}, queue: Record<string, unknown> = {}): Promise<TestBroker> {
  broker = await startBroker({ flush: 'never', ...options });
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'jobs', partitions: 2 } });
  if (records.length > 0) await call(`${broker.url}/v1/topics/jobs/records`, { method: 'POST', json: { records } });
  expect((await call(`${broker.url}/v1/topics/jobs/queues/workers`, { method: 'PUT', json: queue })).status).toBe(201);
  return broker;
}

async function session(): Promise<RawSession> {
  const opened = await openSession(sessionUrl(broker!.url));
  sessions.push(opened);
  return opened;
}

const describeQueue = async () => (await call(`${broker!.url}/v1/topics/jobs/queues/workers`)).body;
const values = (count: number) => Array.from({ length: count }, (_, i) => ({ value: i }));
const receiptsOf = (messages: Array<{ receipt: string }>) => messages.map((message) => sessionReceiptOf(message.receipt)!);

describe('queue sessions', () => {
  it('pushes messages up to its credit, more as credit comes and as records land, and settles by receipt', async () => {
    await setup(values(6));
    const worker = await session();
    worker.ws.send(encodeCredit(4));
    await vi.waitFor(() => expect(worker.messages()).toHaveLength(4));
    worker.ws.send(encodeCredit(10));
    await vi.waitFor(() => expect(worker.messages()).toHaveLength(6));
    // Records produced after the credit was given are pushed without any receive.
    await call(`${broker!.url}/v1/topics/jobs/records`, { method: 'POST', json: { records: values(3) } });
    await vi.waitFor(() => expect(worker.messages()).toHaveLength(9));
    const messages = worker.messages();
    const forged = { ...receiptsOf(messages)[0]!, nonce: 'AAAAAAAA' };
    const unknown = { partition: 9, offset: 0, deliveryCount: 1, nonce: 'AAAAAAAA' };
    worker.ws.send(encodeSettle('ack', 1, [...receiptsOf(messages), forged, unknown]));
    const settled = await worker.settled(1);
    expect(settled.failures.map(({ index, code }) => [index, code])).toEqual([
      [9, 'SPOOL_ERR_RECEIPT_EXPIRED'],
      [10, 'SPOOL_ERR_RECEIPT_UNKNOWN'],
    ]);
    // Acked twice: the second is refused as the HTTP API refuses it.
    worker.ws.send(encodeSettle('ack', 2, receiptsOf(messages.slice(0, 1))));
    expect((await worker.settled(2)).failures).toMatchObject([{ index: 0, code: 'SPOOL_ERR_RECEIPT_EXPIRED' }]);
    expect(await describeQueue()).toMatchObject({ available: 0, inFlight: 0, totals: { acked: 9 } });
  });

  it('nacks with a delay and rejects into the dead-letter topic, with the reason', async () => {
    await setup(values(2));
    const worker = await session();
    worker.ws.send(encodeCredit(2));
    await vi.waitFor(() => expect(worker.messages()).toHaveLength(2));
    const [first, second] = receiptsOf(worker.messages());
    worker.ws.send(encodeSettle('nack', 1, [first!], { delayMs: 0 }));
    worker.ws.send(encodeSettle('reject', 2, [second!], { reason: 'unparseable ü' }));
    expect((await worker.settled(1)).failures).toEqual([]);
    expect((await worker.settled(2)).failures).toEqual([]);
    worker.ws.send(encodeCredit(1));
    await vi.waitFor(() => expect(worker.messages()).toHaveLength(3));
    expect(worker.messages()[2]).toMatchObject({ offset: worker.messages()[0]!.offset, partition: worker.messages()[0]!.partition, deliveryCount: 2 });
    const dead = await call(`${broker!.url}/v1/topics/jobs.dlq/partitions/0/records?offset=0`);
    expect(dead.body.records[0].headers).toMatchObject({ 'dlq-reason': 'unparseable ü', 'dlq-queue': 'workers' });
  });

  it('releases nothing when it closes: the leases run out as an HTTP receiver\'s, and the receipts settle over HTTP meanwhile', async () => {
    await setup(values(2), {}, { visibilityMs: 300 });
    const worker = await session();
    worker.ws.send(encodeCredit(2));
    await vi.waitFor(() => expect(worker.messages()).toHaveLength(2));
    worker.ws.close();
    await worker.closed;
    expect(await describeQueue()).toMatchObject({ inFlight: 2 });
    const acked = await call(`${broker!.url}/v1/topics/jobs/queues/workers/ack`, { method: 'POST', json: { receipts: [worker.messages()[0]!.receipt] } });
    expect(acked.body.results).toEqual([{ receipt: worker.messages()[0]!.receipt, ok: true }]);
    const again = await session();
    again.ws.send(encodeCredit(5));
    await vi.waitFor(() => expect(again.messages()).toMatchObject([{ offset: worker.messages()[1]!.offset, deliveryCount: 2 }]));
  });

  it('refuses before the upgrade: no upgrade (426), an unknown queue (404), past queueSessionsMax (429)', async () => {
    await setup([], { limits: { queueSessionsMax: 1 } });
    const plain = await call(`${broker!.url}/v1/topics/jobs/queues/workers/session`);
    expect([plain.status, plain.body.error.code, plain.headers.get('upgrade')]).toEqual([426, 'SPOOL_ERR_UPGRADE_REQUIRED', 'websocket']);
    await expect(openSession(sessionUrl(broker!.url, 'jobs', 'nope'))).rejects.toMatchObject({ status: 404, body: { error: { code: 'SPOOL_ERR_QUEUE_NOT_FOUND' } } });
    await expect(openSession(sessionUrl(broker!.url, 'missing', 'nope'))).rejects.toMatchObject({ status: 404 });
    await session();
    await expect(openSession(sessionUrl(broker!.url))).rejects.toMatchObject({ status: 429, body: { error: { code: 'SPOOL_ERR_TOO_MANY_SUBSCRIBERS', limit: 'queueSessionsMax' } } });
  });

  it('closes with an ERROR frame and status 4400 on a malformed or out-of-range frame, and serves on', async () => {
    await setup(values(1), { limits: { queueSessionCreditMax: 100 } });
    const receipt = { partition: 0, offset: 0, deliveryCount: 1, nonce: 'abcdEFGH' };
    const cases: Array<[string, Buffer | string, string]> = [
      ['text frame', 'hello', 'type'],
      ['unknown type', Buffer.from([0x42]), 'type'],
      ['truncated ack', encodeSettle('ack', 1, [receipt]).subarray(0, 20), 'receipts'],
      ['zero receipts', Buffer.from([SessionFrame.ack, 0, 0, 0, 1, 0, 0, 0, 0]), 'count'],
      ['zero credit', encodeCredit(0), 'credit'],
      ['credit past queueSessionCreditMax', encodeCredit(101), 'credit'],
      ['credit 2^32-1', encodeCredit(2 ** 32 - 1), 'credit'],
      ['visibilityMs below 100', encodeCredit(1, 99), 'visibilityMs'],
      ['visibilityMs past 12 h', encodeCredit(1, 12 * 3_600_000 + 1), 'visibilityMs'],
      ['delayMs past 12 h', encodeSettle('nack', 1, [receipt], { delayMs: 12 * 3_600_000 + 1 }), 'delayMs'],
    ];
    for (const [name, frame, field] of cases) {
      const worker = await session();
      worker.ws.send(frame);
      expect(await worker.closed, name).toEqual({ code: 4400, reason: 'SPOOL_ERR_SESSION_FRAME' });
      expect(worker.frames.at(-1), name).toMatchObject({ type: 'error', code: 'SPOOL_ERR_SESSION_FRAME' });
      expect((worker.frames.at(-1) as { message: string }).message, name).toMatch(new RegExp(`^${field}: `));
    }
    const healthy = await session();
    healthy.ws.send(encodeCredit(1));
    await vi.waitFor(() => expect(healthy.messages()).toHaveLength(1));
  });

  it('closes with 1009 on a frame past queueSessionFrameBytesMax, before buffering it', async () => {
    await setup([], { limits: { queueSessionFrameBytesMax: 1024 } });
    const worker = await session();
    worker.ws.send(Buffer.alloc(1025));
    expect((await worker.closed).code).toBe(1009);
    expect((await call(`${broker!.url}/health`)).status).toBe(200);
  });

  it('stops pushing to a worker that does not read, and pushes again once it does', async () => {
    // 40 MB of messages: more than the socket buffers of both ends can hold.
    const value = 'x'.repeat(10_000);
    await setup([], { limits: { queueSessionBufferedBytesMax: 64 * 1024 } });
    for (let batch = 0; batch < 80; batch++) {
      const produced = await call(`${broker!.url}/v1/topics/jobs/records`, { method: 'POST', json: { records: Array.from({ length: 50 }, () => ({ value })) } });
      expect(produced.status).toBe(200);
    }
    const worker = await session();
    worker.ws.pause();
    worker.ws.send(encodeCredit(4000));
    let inFlight = -1;
    // Leasing stops: the count stays where it is while the worker reads nothing.
    await vi.waitFor(async () => {
      const now = (await describeQueue()).inFlight as number;
      const previous = inFlight;
      inFlight = now;
      expect(now).toBeGreaterThan(0);
      expect(now).toBe(previous);
    }, { timeout: 10_000, interval: 300 });
    expect(inFlight).toBeLessThan(4000);
    worker.ws.resume();
    // Pushed again, up to what the queue's windows hold unacked (windowRecords per partition).
    await vi.waitFor(async () => {
      expect(worker.messages().length).toBeGreaterThan(inFlight);
      expect(worker.messages().length).toBe((await describeQueue()).inFlight);
    }, { timeout: 20_000 });
  }, 40_000);

  it('shares the work among 64 sessions whose credit is more than the windows hold: every session with credit gets messages', async () => {
    await setup([]);
    for (let batch = 0; batch < 40; batch++) expect((await call(`${broker!.url}/v1/topics/jobs/records`, { method: 'POST', json: { records: values(100) } })).status).toBe(200);
    // 64 × 50 credit against 2 × windowRecords (2,000) messages leased at most at once.
    const workers = await Promise.all(Array.from({ length: 64 }, () => session()));
    for (const worker of workers) {
      let id = 0;
      // Each acks what it gets at once and gives the credit back, as a worker with nothing to do.
      worker.ws.on('message', (data) => {
        const frame = decodeBrokerFrame(data as Buffer);
        if (frame.type !== 'messages') return;
        worker.ws.send(encodeSettle('ack', ++id, receiptsOf(frame.messages)));
        worker.ws.send(encodeCredit(frame.messages.length));
      });
    }
    for (const worker of workers) worker.ws.send(encodeCredit(50));
    await vi.waitFor(async () => expect(await describeQueue()).toMatchObject({ available: 0, inFlight: 0, totals: { acked: 4000 } }), { timeout: 30_000, interval: 200 });
    const counts = workers.map((worker) => worker.messages().length);
    expect(counts.filter((count) => count === 0)).toEqual([]);
  }, 40_000);

  it('stops reading a worker that floods settlements without reading the answers, and answers them all once it reads', async () => {
    // Each ACK of 10,000 forged receipts is answered by a SETTLED of 10,000 refusals (~700 KB):
    // unbounded, 200 of them grew the broker by ~150 MB while the worker read nothing.
    await setup([], { limits: { queueSessionBufferedBytesMax: 64 * 1024 } });
    // What the broker read of the worker's connection, counted on the broker's own socket.
    const accepted: Socket[] = [];
    broker!.broker.app.server.on('connection', (socket: Socket) => accepted.push(socket));
    const worker = await session();
    worker.ws.pause();
    const forged = Array.from({ length: 10_000 }, (_, i) => ({ partition: 0, offset: i, deliveryCount: 1, nonce: 'AAAAAAAA' }));
    const frames = 200;
    const frameBytes = encodeSettle('ack', 1, forged).length;
    for (let id = 1; id <= frames; id++) worker.ws.send(encodeSettle('ack', id, forged));
    // The broker stops reading after queueSessionSettlesInFlightMax frames or so: the rest of the
    // 48 MB stays in the kernel's buffers and the worker's socket.
    let read = -1;
    await vi.waitFor(() => {
      const previous = read;
      read = accepted.reduce((sum, socket) => sum + socket.bytesRead, 0);
      expect(read).toBeGreaterThan(frameBytes);
      expect(read).toBe(previous);
    }, { timeout: 20_000, interval: 500 });
    expect(read).toBeLessThan(frameBytes * 40);
    worker.ws.resume();
    await vi.waitFor(() => expect(worker.frames.filter((frame) => frame.type === 'settled')).toHaveLength(frames), { timeout: 60_000 });
    expect(worker.ws.bufferedAmount).toBe(0);
    expect(worker.frames.find((frame) => frame.type === 'settled' && frame.id === frames)).toMatchObject({ failures: { length: 10_000 } });
  }, 90_000);

  it('waits out a quotaLongPollsPerPrincipal refusal instead of closing: two waiting workers of one principal both get messages', async () => {
    await setup([], { settings: { quotaLongPollsPerPrincipal: 1 } });
    const first = await session();
    const second = await session();
    first.ws.send(encodeCredit(1));
    await vi.waitFor(async () => expect((await call(`${broker!.url}/v1/topics/jobs/queues/workers/receive`, { method: 'POST', json: { waitMs: 1000 } })).status).toBe(429));
    second.ws.send(encodeCredit(1));
    // Frames are handled in order: by the answer to this settlement, the second's receive was refused its slot.
    second.ws.send(encodeSettle('ack', 1, [{ partition: 0, offset: 0, deliveryCount: 1, nonce: 'AAAAAAAA' }]));
    await second.settled(1);
    await call(`${broker!.url}/v1/topics/jobs/records`, { method: 'POST', json: { records: values(2) } });
    await vi.waitFor(() => expect([first.messages().length, second.messages().length]).toEqual([1, 1]), { timeout: 10_000 });
    expect([first.ws.readyState, second.ws.readyState]).toEqual([first.ws.OPEN, second.ws.OPEN]);
  });

  it('closes a session that stops answering pings, and keeps one that answers', async () => {
    await setup([], { limits: { queueSessionPingMs: 50 } });
    const answering = await session();
    const silent = await openSession(sessionUrl(broker!.url), {}, { autoPong: false });
    sessions.push(silent);
    expect((await silent.closed).code).toBe(1006);
    let pings = 0;
    answering.ws.on('ping', () => pings++);
    await vi.waitFor(() => expect(pings).toBeGreaterThan(3));
    expect(answering.ws.readyState).toBe(answering.ws.OPEN);
  });

  it('ends its sessions with SPOOL_ERR_SHUTTING_DOWN (4503) when the broker closes', async () => {
    await setup([]);
    const worker = await session();
    worker.ws.send(encodeCredit(1));
    await broker!.close();
    broker = undefined;
    expect(await worker.closed).toEqual({ code: 4503, reason: 'SPOOL_ERR_SHUTTING_DOWN' });
  });

  it('answers a WebSocket handshake it cannot accept with 400, never an upgrade', async () => {
    await setup([]);
    const url = `${broker!.url}/v1/topics/jobs/queues/workers/session`;
    const answer = await fetchUpgrade(url, { 'sec-websocket-version': '99', 'sec-websocket-key': 'bad' });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
  });
});

/** A raw upgrade request with the given handshake headers; answers the status line. */
async function fetchUpgrade(url: string, headers: Record<string, string>): Promise<string> {
  const { hostname, port, pathname } = new URL(url);
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      const lines = [`GET ${pathname} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Connection: Upgrade', 'Upgrade: websocket', ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}
