/**
 * CORS for browser apps on another origin (a dashboard reading the API or a live SSE tail). Off
 * unless `corsOrigin` names origins (or `*`): a broker on loopback should not be readable by any
 * page a user happens to visit. Preflights (OPTIONS) are answered by @fastify/cors.
 */
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/** The methods the API uses; @fastify/cors allows only GET, HEAD and POST by default. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

export async function registerCors(app: FastifyInstance, corsOrigin: string): Promise<void> {
  if (corsOrigin === '') return;
  await app.register(cors, {
    origin: corsOrigin === '*' ? '*' : corsOrigin.split(','),
    methods: METHODS,
    // A 429 or 503 tells the page when to retry. Request headers asked for in a preflight
    // (content-type, authorization, Last-Event-ID) are allowed by reflecting them.
    exposedHeaders: ['retry-after'],
    // Preflights are cached by the browser for 10 minutes (Chromium's cap is 2 hours).
    maxAge: 600,
  });
}
