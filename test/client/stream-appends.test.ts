/**
 * The append coalescer's requests in flight (client/stream-appends.ts) against a real broker,
 * through an HTTP proxy that holds each request until the test releases it: so requests overlap
 * for certain, and can be answered out of order, as over separate connections they may be.
 */
import { createServer, request as forward, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Spool, type Streams } from '../../client/index.js';
import { startBroker, type TestBroker } from '../broker/support/broker.js';

interface Held {
  path: string;
  /** Sends the request on to the broker and its answer back. */
  release(): void;
}

class HoldingProxy {
  readonly server: Server;
  /** Append (POST) requests received and not yet released, oldest first. */
  readonly held: Held[] = [];
  /** Append requests received and not yet answered; the most there ever were at once. */
  private open = 0;
  maxOpen = 0;
  received: string[] = [];

  constructor(private readonly brokerUrl: URL) {
    this.server = createServer((incoming, outgoing) => this.hold(incoming, outgoing));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  private hold(incoming: IncomingMessage, outgoing: ServerResponse): void {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const path = incoming.url!;
      const appending = incoming.method === 'POST';
      const release = () => {
        const upstream = forward({ host: this.brokerUrl.hostname, port: this.brokerUrl.port, method: incoming.method, path, headers: incoming.headers }, (answer) => {
          outgoing.writeHead(answer.statusCode!, answer.headers);
          answer.pipe(outgoing);
          if (appending) answer.on('end', () => this.open--);
        });
        upstream.end(Buffer.concat(chunks));
      };
      if (!appending) return release(); // reads and describes pass at once
      this.received.push(path);
      this.maxOpen = Math.max(this.maxOpen, ++this.open);
      this.held.push({ path, release });
    });
  }

  /** Releases the oldest (or newest) held request. */
  releaseOne(which: 'oldest' | 'newest'): void {
    const next = which === 'oldest' ? this.held.shift() : this.held.pop();
    next?.release();
  }

  /** Releases held requests, one at a time, until `work` has settled. */
  async releaseUntil<T>(work: Promise<T>, which: 'oldest' | 'newest'): Promise<T> {
    let settled = false;
    const done = work.finally(() => (settled = true));
    while (!settled) {
      await vi.waitFor(() => expect(settled || this.held.length > 0).toBe(true));
      this.releaseOne(which);
    }
    return done;
  }
}

let broker: TestBroker;
let proxy: HoldingProxy;
let spool: Spool;
let direct: Spool;
let topicCount = 0;

/** A fresh topic's streams through the proxy (so each test counts only its own requests). */
async function freshStreams(options: { maxInFlight?: number } = {}): Promise<Streams> {
  const name = `appends-${++topicCount}`;
  await direct.admin.createTopic({ name, partitions: 2, config: { streamIndex: true } });
  proxy.maxOpen = 0;
  proxy.received = [];
  return spool.streams(name, options);
}

beforeAll(async () => {
  broker = await startBroker({ flush: 'never' });
  proxy = new HoldingProxy(new URL(broker.url));
  await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
  spool = new Spool({ url: proxy.url });
  direct = new Spool({ url: broker.url });
});
afterAll(async () => {
  for (const held of proxy.held.splice(0)) held.release();
  await spool.close();
  await direct.close();
  proxy.server.closeAllConnections();
  await new Promise((resolve) => proxy.server.close(resolve));
  await broker.close();
});

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** `writers` writers on distinct streams, each appending `each` events one append at a time. */
function writeOwned(streams: Streams, writers: number, each: number): Promise<void[]> {
  return Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      for (let n = 0; n < each; n++) await streams.append(`writer-${writer}`, [{ type: 'N', data: n }], { expectedVersion: n === 0 ? 'no_stream' : n - 1 });
    }),
  );
}

describe('append requests in flight', () => {
  it('keeps two requests in flight for 64 writers with maxInFlight 2, never more, and every event lands', async () => {
    const streams = await freshStreams({ maxInFlight: 2 });
    await proxy.releaseUntil(writeOwned(streams, 64, 5), 'oldest');
    expect(proxy.maxOpen).toBe(2);
    expect(await streams.describe('writer-63')).toMatchObject({ version: 4, eventCount: 5 });
  });

  it('keeps one request in flight by default, and at most maxInFlight (3)', async () => {
    for (const maxInFlight of [undefined, 3]) {
      const streams = await freshStreams({ maxInFlight });
      await proxy.releaseUntil(writeOwned(streams, 64, 4), 'oldest');
      expect(proxy.maxOpen).toBe(maxInFlight ?? 1);
    }
  });

  it('lands two appends to one stream in issue order when their requests are answered out of order', async () => {
    const streams = await freshStreams({ maxInFlight: 2 });
    const first = streams.append('ordered', [{ type: 'First', data: 1 }], { expectedVersion: 'any' });
    const others = Array.from({ length: 63 }, (_, i) => streams.append(`other-${i}`, [{ type: 'N', data: i }]));
    await vi.waitFor(() => expect(proxy.held).toHaveLength(2));
    // Both requests are held, the first append in the older; the second append comes after them.
    const second = streams.append('ordered', [{ type: 'Second', data: 2 }], { expectedVersion: 'any' });
    proxy.releaseOne('newest');
    await Promise.all(others.slice(31)); // the newer request's appends: a request may go out now
    await turn();
    await turn();
    expect(streams.appends.requests).toBe(2); // the second append waits for the first's answer
    await proxy.releaseUntil(Promise.all([...others, first, second]), 'newest');
    const types: string[] = [];
    for await (const event of streams.read('ordered')) types.push(event.type!);
    expect(types).toEqual(['First', 'Second']);
    expect(await second).toMatchObject({ firstVersion: 1 });
  });

  it('sends a lone append in the turn it was made, also while another request is held (maxInFlight 2)', async () => {
    const streams = await freshStreams({ maxInFlight: 2 });
    const held = streams.append('lone-1', [{ type: 'N', data: 1 }]);
    await turn();
    expect(streams.appends.requests).toBe(1);
    await vi.waitFor(() => expect(proxy.held).toHaveLength(1));
    const lone = streams.append('lone-2', [{ type: 'N', data: 2 }]);
    await vi.waitFor(() => expect(proxy.held).toHaveLength(2));
    await proxy.releaseUntil(Promise.all([held, lone]), 'newest');
    expect(proxy.received).toHaveLength(2);
    expect(proxy.received.every((path) => path.endsWith('/events') && !path.endsWith('/streams/events'))).toBe(true);
  });

  it('answers each caller on its own after a refused whole request, a stream\'s appends still in order', async () => {
    const streams = await freshStreams();
    const outcomes = Promise.allSettled([
      streams.append('twice', [{ type: 'A', data: 1 }]),
      streams.append('bad', [{ type: '', data: null }]),
      streams.append('twice', [{ type: 'B', data: 2 }]),
      streams.append('good', [{ type: 'A', data: 3 }]),
    ]);
    const [first, bad, second, good] = await proxy.releaseUntil(outcomes, 'newest');
    expect(bad).toMatchObject({ status: 'rejected', reason: { status: 400 } });
    expect(first).toMatchObject({ status: 'fulfilled', value: { firstVersion: 0 } });
    expect(second).toMatchObject({ status: 'fulfilled', value: { firstVersion: 1 } });
    expect(good).toMatchObject({ status: 'fulfilled', value: { firstVersion: 0 } });
    expect(proxy.maxOpen).toBe(1);
  });

  it('refuses a maxInFlight that is not a whole number from 1 to 16', () => {
    for (const maxInFlight of [0, -1, 1.5, 17, 2 ** 31, Number.NaN]) {
      expect(() => spool.streams('orders-bad-option', { maxInFlight })).toThrow(expect.objectContaining({ code: 'SPOOL_ERR_INVALID_ARGUMENT' }));
    }
  });
});
