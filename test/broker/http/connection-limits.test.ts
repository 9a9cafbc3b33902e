/**
 * Caps on open connections, in total and per client address, over real sockets (127.0.0.2 and
 * 127.0.0.3 are other addresses of the loopback range). Small caps via BuildOptions.limits.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker({ limits: { connectionsMax: 4, connectionsPerAddressMax: 2, connectionsHardMax: 100 } });
});
afterAll(async () => broker.close());

const sockets: Socket[] = [];
afterAll(() => sockets.forEach((socket) => socket.destroy()));

async function open(localAddress: string): Promise<Socket> {
  const socket = connect({ port: Number(new URL(broker.url).port), host: '127.0.0.1', localAddress });
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  sockets.push(socket);
  return socket;
}

/** Sends one keep-alive request on the socket and reads its answer's status line and body. */
async function ask(socket: Socket): Promise<{ status: number; body: string; closed: Promise<void> }> {
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let text = '';
  const answered = new Promise<void>((resolve) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const head = text.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(text);
      if (head >= 0 && length && text.length >= head + 4 + Number(length[1])) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
  });
  socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  await answered;
  return { status: Number(text.split(' ')[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4), closed };
}

describe('connection caps', () => {
  it('answers 429 past connectionsPerAddressMax and connectionsMax, closes that connection, and admits again once others close', async () => {
    const first = await open('127.0.0.1');
    const second = await open('127.0.0.1');
    expect((await ask(first)).status).toBe(200);
    expect((await ask(second)).status).toBe(200);

    const third = await ask(await open('127.0.0.1'));
    expect(third.status).toBe(429);
    expect(JSON.parse(third.body).error).toMatchObject({ code: 'SPOOL_ERR_TOO_MANY_CONNECTIONS', limit: 'connectionsPerAddressMax', max: 2 });
    await third.closed;

    // Another address still has room, up to the total.
    const other = await open('127.0.0.2');
    expect((await ask(other)).status).toBe(200);
    expect((await ask(await open('127.0.0.2'))).status).toBe(200);
    const overTotal = await ask(await open('127.0.0.3'));
    expect(overTotal.status).toBe(429);
    expect(JSON.parse(overTotal.body).error).toMatchObject({ code: 'SPOOL_ERR_TOO_MANY_CONNECTIONS', limit: 'connectionsMax', max: 4 });
    await overTotal.closed;

    // Connections that close give their place back.
    const gone = new Promise((resolve) => first.once('close', resolve));
    first.destroy();
    await gone;
    await expect.poll(async () => (await ask(await open('127.0.0.1'))).status).toBe(200);
  });
});
