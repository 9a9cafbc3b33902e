/**
 * The broker's HTTP server (fastify's serverFactory): node's http server with the timeouts of
 * broker/limits.ts, and a gate that answers SPOOL_ERR_SHUTTING_DOWN once the broker began to close,
 * before any routing, parsing or hook runs. In-flight requests are not affected; fastify's close()
 * then waits for them.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { BrokerError } from '../errors.js';
import { errorBody } from './error-handler.js';
import type { BrokerLimits } from '../limits.js';

const SHUTTING_DOWN_BODY = JSON.stringify(errorBody(new BrokerError('SPOOL_ERR_SHUTTING_DOWN', 'the broker is shutting down', { retryAfterMs: 1000 })));

export function createGatedServer(handler: RequestListener, options: { isOpen: () => boolean; limits: BrokerLimits }): Server {
  const { limits } = options;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (options.isOpen()) return handler(request, response);
    response.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1', connection: 'close' });
    response.end(SHUTTING_DOWN_BODY);
  });
  // What fastify sets on a server it makes itself (see its requestTimeout, keepAliveTimeout and
  // connectionTimeout options).
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.setTimeout(limits.connectionTimeoutMs);
  return server;
}
