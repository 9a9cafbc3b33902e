/**
 * Body parsers for the content types the API accepts (JSON is fastify's own):
 *   application/x-msgpack         decoded with msgpackr (bin values stay bytes)
 *   application/vnd.spool.batch   raw RecordBatch v2 bytes, one or more back to back, kept as a Buffer
 */
import type { FastifyInstance } from 'fastify';
import { unpack } from 'msgpackr';
import { BATCH_CONTENT_TYPE } from '../../storage/index.js';
import { BrokerError } from '../errors.js';

export const MSGPACK_CONTENT_TYPE = 'application/x-msgpack';
export { BATCH_CONTENT_TYPE };

export function registerContentTypes(app: FastifyInstance): void {
  app.addContentTypeParser(MSGPACK_CONTENT_TYPE, { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, unpack(body as Buffer));
    } catch (error) {
      done(new BrokerError('SPOOL_ERR_MALFORMED_BODY', `the msgpack body does not decode: ${(error as Error).message}`), undefined);
    }
  });
  app.addContentTypeParser(BATCH_CONTENT_TYPE, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
}
