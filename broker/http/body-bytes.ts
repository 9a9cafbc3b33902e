/**
 * The bytes a request brought, for the produce quota: the raw body, else its Content-Length, else
 * (a chunked JSON or msgpack body has none) its JSON's length.
 */
import type { FastifyRequest } from 'fastify';

export function requestBodyBytes(request: FastifyRequest): number {
  if (Buffer.isBuffer(request.body)) return request.body.length;
  const declared = Number(request.headers['content-length']);
  return Number.isSafeInteger(declared) && declared >= 0 ? declared : Buffer.byteLength(JSON.stringify(request.body ?? null));
}
