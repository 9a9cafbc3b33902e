/**
 * The one place where failures become HTTP answers:
 *   {"error": {"code": "SPOOL_ERR_…", "message": "…", ...context}}
 * SpoolErrors (storage's and the broker's) carry their code, status and context; fastify's own
 * errors (schema validation, body limit, bad JSON, unknown content type) are mapped to documented
 * codes; anything else is SPOOL_ERR_INTERNAL, logged with its stack, never shown to the client.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isSpoolError, type SpoolError } from '../../storage/index.js';
import { BrokerError } from '../errors.js';
import type { BrokerLimits } from '../limits.js';
import { validationError } from './validation-message.js';

/** `bodyLimitBytes`: the route's body limit (a route may set a lower one than bodyBytesMax). */
function fromFastify(error: FastifyError, bodyLimitBytes: number): SpoolError | null {
  if (error.validation) return validationError(error.validation, error.validationContext);
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new BrokerError('SPOOL_ERR_PAYLOAD_TOO_LARGE', `the body is larger than ${bodyLimitBytes} bytes`, { limitBytes: bodyLimitBytes });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new BrokerError('SPOOL_ERR_UNSUPPORTED_MEDIA_TYPE', 'use application/json, application/x-msgpack or application/vnd.spool.batch');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new BrokerError('SPOOL_ERR_MALFORMED_BODY', error.message);
    default:
      break;
  }
  if (error instanceof SyntaxError || error.statusCode === 400) return new BrokerError('SPOOL_ERR_MALFORMED_BODY', `the body does not parse: ${error.message}`);
  if (error.statusCode === 413) return new BrokerError('SPOOL_ERR_PAYLOAD_TOO_LARGE', error.message);
  if (error.statusCode === 415) return new BrokerError('SPOOL_ERR_UNSUPPORTED_MEDIA_TYPE', error.message);
  return null;
}

/**
 * Fastify's `frameworkErrors`: URLs that fail before routing (a bad percent-encoding, a path
 * parameter past maxParamLength) would otherwise be answered by fastify itself with FST_* codes.
 */
export function frameworkErrorHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const spool = new BrokerError('SPOOL_ERR_BAD_REQUEST', error.message, { cause: error.code });
  void reply.code(spool.status).send({ error: { code: spool.code, message: spool.message } });
}

/** The one error shape of every answer: {"error": {"code", "message", ...context}}. */
export function errorBody(error: SpoolError): { error: Record<string, unknown> } {
  const { cause: _cause, ...context } = error.context as Record<string, unknown>;
  return { error: { ...context, code: error.code, message: error.message } };
}

export function registerErrorHandler(app: FastifyInstance, limits: BrokerLimits): void {
  app.setErrorHandler((raw, request, reply) => {
    const error = isSpoolError(raw) ? raw : fromFastify(raw as FastifyError, request.routeOptions?.bodyLimit ?? limits.bodyBytesMax);
    if (!error) {
      request.log.error({ err: raw, reqId: request.id }, 'unexpected error');
      return reply.code(500).send({ error: { code: 'SPOOL_ERR_INTERNAL', message: 'internal error; see the broker log' } });
    }
    if (error.status >= 500) request.log.error({ err: error, reqId: request.id }, error.message);
    if (error.status === 429 || error.status === 503) {
      const retryAfterMs = Number(error.context.retryAfterMs ?? limits.retryAfterSeconds * 1000);
      reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
    }
    return reply.code(error.status).send(errorBody(error));
  });

  app.setNotFoundHandler((request) => {
    throw new BrokerError('SPOOL_ERR_ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
  });
}
