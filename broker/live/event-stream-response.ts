/**
 * What every Server-Sent Events route does with its HTTP response (the live tails and a stream's
 * live feed): fastify hands the raw response over, the client going away aborts the feed, and the
 * stream opens with the SSE headers and a first comment, so the client sees it connected at once.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Takes the raw response from fastify; the connection closing aborts `abort`. */
export function takeOverResponse(request: FastifyRequest, reply: FastifyReply, abort: AbortController): ServerResponse {
  request.raw.once('close', () => abort.abort());
  reply.raw.once('close', () => abort.abort());
  // Headers set through fastify (CORS) would be lost with the hijack: the raw response keeps them.
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) reply.raw.setHeader(name, value);
  reply.hijack();
  return reply.raw;
}

export function openEventStream(response: ServerResponse): void {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  response.write(': connected\n\n');
}
