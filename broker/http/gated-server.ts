/**
 * The broker's HTTP server (fastify's serverFactory): node's http server with the timeouts of
 * broker/limits.ts, connections counted and capped (connection-limits.ts), and a gate that answers
 * SPOOL_ERR_SHUTTING_DOWN once the broker began to close, before any routing, parsing or hook
 * runs. In-flight requests are not affected; fastify's close() then waits for them.
 *
 * Timeouts bound what a client sends, never how long an answer may take: a long-poll, a queue
 * wait, a live (SSE) stream or a slow admin call is a request being worked on, not an idle
 * connection, so there is no socket inactivity timeout (node's server.timeout, which cut 20 s
 * long-polls at 10 s and SSE streams before their first heartbeat). Instead:
 *   headersTimeoutMs   the request line and headers must arrive within it (slowloris);
 *   requestTimeoutMs   the whole request, body included;
 *   keepAliveTimeoutMs an idle connection between requests is closed after it;
 * checked every connectionsCheckIntervalMs (node's default of 30 s let slowloris live 30-60 s).
 * With TLS settings it is node's https server (an https.Server is an http.Server, fastify sees
 * no difference); its certificates are swapped in place on SIGHUP (security/tls.ts).
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket, TlsOptions } from 'node:tls';
import { BrokerError } from '../errors.js';
import { errorBody } from './error-handler.js';
import type { BrokerLimits } from '../limits.js';
import { ConnectionCounter } from './connection-limits.js';
import { routeUpgrades } from './upgrade.js';

const SHUTTING_DOWN_BODY = JSON.stringify(errorBody(new BrokerError('SPOOL_ERR_SHUTTING_DOWN', 'the broker is shutting down', { retryAfterMs: 1000 })));

function refuse(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'retry-after': '1', connection: 'close' });
  response.end(body);
}

export interface GatedServerOptions {
  isOpen: () => boolean;
  limits: BrokerLimits;
  connections?: ConnectionCounter;
  /** HTTPS with these options (security/tls.ts); plain HTTP without. */
  tls?: TlsOptions;
  /** Called with each TLS connection once its handshake is done: it may end it (security/tls-connections.ts). */
  onSecureConnection?: (socket: TLSSocket) => void;
}

export function createGatedServer(handler: RequestListener, options: GatedServerOptions): Server {
  const { limits } = options;
  const connections = options.connections ?? new ConnectionCounter(limits);
  const serverOptions = { connectionsCheckingInterval: limits.connectionsCheckIntervalMs };
  const listener = (request: IncomingMessage, response: ServerResponse) => {
    connections.requested(request.socket);
    if (!options.isOpen()) return refuse(response, 503, SHUTTING_DOWN_BODY);
    const refusal = connections.refusal(request.socket);
    if (refusal) {
      const error = new BrokerError('SPOOL_ERR_TOO_MANY_CONNECTIONS', `the broker holds ${refusal.max} connections already (${refusal.limit})`, { ...refusal, retryAfterMs: 1000 });
      return refuse(response, 429, JSON.stringify(errorBody(error)));
    }
    return handler(request, response);
  };
  const server: Server = options.tls ? createHttpsServer({ ...options.tls, ...serverOptions }, listener) : createServer(serverOptions, listener);
  if (options.tls) {
    // Counted once the handshake is done: requests arrive on the TLS socket, not on the TCP one
    // under it; a handshake that never ends is closed by the TLS handshakeTimeout.
    server.on('secureConnection', (socket: TLSSocket) => {
      connections.admit(socket);
      options.onSecureConnection?.(socket);
    });
  } else {
    server.on('connection', (socket) => connections.admit(socket));
  }
  // WebSocket upgrades go through the same gate, hooks and routes (upgrade.ts).
  routeUpgrades(server, listener);
  server.maxConnections = limits.connectionsHardMax;
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  return server;
}
