/**
 * GET /v1/topics/:topic/queues/:queue/session: a queue session (broker/queues/queue-session.ts),
 * a WebSocket upgraded from this route on the broker's own listener. The upgrade request goes
 * through every hook an HTTP request does (http/upgrade.ts): Host check, authentication (Basic,
 * Bearer, the session cookie, a client certificate), the connection quota (the session's
 * connection holds a quotaConnectionsPerPrincipal slot for its whole life), and the ACLs of a
 * receive (Read on the queue and on the topic, which also cover ack, nack and reject). A refusal
 * is an ordinary HTTP answer before any upgrade. The credentials and ACLs are checked again for as
 * long as the session lasts (accessWatch).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { WebSocketServer } from 'ws';
import { BrokerError } from '../errors.js';
import { upgradeOf } from '../http/upgrade.js';
import type { BrokerLimits } from '../limits.js';
import { QueueSession, type QueueSessionLimits } from '../queues/queue-session.js';
import type { QueueService } from '../queues/queue-service.js';
import type { Quotas } from '../security/quotas.js';
import { principalOf } from '../security/request-principal.js';
import { QueueParams } from './queues.js';

type SessionRouteLimits = QueueSessionLimits & Pick<BrokerLimits, 'queueSessionsMax' | 'queueSessionFrameBytesMax' | 'queueSessionPingMs'>;

export const queueSessionRoutes: FastifyPluginAsyncTypebox<{ queues: QueueService; quotas: Pick<Quotas, 'take'>; limits: SessionRouteLimits }> = async (app, { queues, quotas, limits }) => {
  // No compression (per-message deflate costs CPU per frame for 100-byte messages and is a
  // memory-amplification risk), frames bounded before they are buffered (ws answers 1009 past it).
  const server = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false, maxPayload: limits.queueSessionFrameBytesMax });
  const sessions = new Set<QueueSession>();
  const pinger = setInterval(() => sessions.forEach((session) => session.heartbeat()), limits.queueSessionPingMs);
  pinger.unref();
  app.addHook('preClose', async () => {
    clearInterval(pinger);
    for (const session of sessions) session.end(new BrokerError('SPOOL_ERR_SHUTTING_DOWN', 'the broker is shutting down', { retryAfterMs: 1000 }));
  });

  app.get('/v1/topics/:topic/queues/:queue/session', {
    schema: {
      tags: ['queues'],
      summary: 'A queue session: a WebSocket carrying credit, messages and settlements (docs/http-api.md#queue-sessions)',
      params: QueueParams,
      response: { 101: Type.Null({ description: 'Switching Protocols: the connection carries session frames from here on' }) },
    },
    handler: async (request, reply) => {
      const { topic, queue } = request.params;
      const upgrade = upgradeOf(request.raw);
      if (upgrade === null || request.headers.upgrade?.toLowerCase() !== 'websocket') {
        reply.header('upgrade', 'websocket');
        throw new BrokerError('SPOOL_ERR_UPGRADE_REQUIRED', `${request.url.split('?')[0]} is a WebSocket: send Connection: Upgrade and Upgrade: websocket (HTTP clients: POST .../receive and .../ack)`, { field: 'upgrade' });
      }
      queues.assertExists(topic, queue);
      if (sessions.size >= limits.queueSessionsMax) {
        throw new BrokerError('SPOOL_ERR_TOO_MANY_SUBSCRIBERS', `the broker holds its maximum of ${limits.queueSessionsMax} queue sessions (queueSessionsMax)`, { limit: 'queueSessionsMax', max: limits.queueSessionsMax, retryAfterMs: 1000 });
      }
      const principal = principalOf(request);
      const accessError = request.accessWatch();
      reply.hijack();
      // ws answers a handshake it refuses (a bad Sec-WebSocket-Key or version) with 400 and closes.
      server.handleUpgrade(request.raw, upgrade.socket, upgrade.head, (ws) => {
        const session = new QueueSession(ws, queues, topic, queue, limits, () => quotas.take('longPolls', principal), accessError, (closed) => sessions.delete(closed));
        sessions.add(session);
      });
    },
  });
};
