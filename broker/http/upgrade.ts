/**
 * WebSocket upgrades through the ordinary request path (the queue session of
 * routes/queue-session.ts): node's server hands an `Upgrade:` request to its 'upgrade' event, not
 * to the request listener, so it would skip fastify, its hooks (Host check, authentication, the
 * connection quota, ACLs) and routing. Here each upgrade request is given a response on its own
 * socket and sent down the listener like any request: a refusal (401, 403, 404, 426, 429...) is an
 * ordinary answer, after which the socket is closed (nothing may follow a refused upgrade), and the
 * route that accepts it finds the socket and the bytes read past the headers with upgradeOf().
 * A route that does not know upgrades answers as it would a GET; the socket is closed after it.
 */
import { type IncomingMessage, type RequestListener, type Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

const UPGRADE = Symbol('spool.upgrade');

interface Upgrade {
  socket: Duplex;
  head: Buffer;
}

export function routeUpgrades(server: Server, listener: RequestListener): void {
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    (request as IncomingMessage & { [UPGRADE]?: Upgrade })[UPGRADE] = { socket, head };
    // The socket is ours from here on: an error on it must not reach the process.
    socket.on('error', () => socket.destroy());
    const response = new ServerResponse(request);
    response.shouldKeepAlive = false;
    response.assignSocket(socket as Socket);
    response.once('finish', () => socket.end());
    listener(request, response);
  });
}

/** The socket and first bytes of an upgrade request (null for an ordinary request). */
export function upgradeOf(request: IncomingMessage): Upgrade | null {
  return (request as IncomingMessage & { [UPGRADE]?: Upgrade })[UPGRADE] ?? null;
}
