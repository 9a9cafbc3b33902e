/**
 * Body parsers for the content types the API accepts, and no other (anything else: 415):
 *   application/json              JSON.parse, then the nesting bound below
 *   application/x-msgpack         decoded with msgpackr (bin values stay bytes), the same bound
 *   application/vnd.spool.batch   raw RecordBatch v2 bytes, one or more back to back, kept as a Buffer
 *
 * JSON is parsed by JSON.parse itself rather than fastify's secure-json-parse: that one refuses a
 * key named `__proto__` as "not valid JSON", while a record header may have any name. JSON.parse
 * makes such a key an ordinary own property (it never sets a prototype), every body is checked by
 * a schema without additional properties, and the open maps (headers, expectedOffsets) are only
 * ever read with Object.entries, so the name is stored and returned as sent.
 *
 * msgpackr cannot do the same: it renames a `__proto__` key to `__proto_`, which would store a
 * header under another name. Such a body is refused with a message saying so.
 */
import type { FastifyInstance } from 'fastify';
import { unpack } from 'msgpackr';
import { BATCH_CONTENT_TYPE, isSpoolError } from '../../storage/index.js';
import { BrokerError } from '../errors.js';
import { brokerLimits } from '../limits.js';

export const MSGPACK_CONTENT_TYPE = 'application/x-msgpack';
export const JSON_CONTENT_TYPE = 'application/json';
export { BATCH_CONTENT_TYPE };

/** msgpack's encoding of the string "__proto__" (fixstr of 9 bytes). */
const MSGPACK_PROTO_KEY = Buffer.from([0xa9, ...Buffer.from('__proto__')]);

/**
 * The deepest nesting of arrays and objects in a decoded body, walked without recursion, stopping
 * as soon as it passes `max`: a value nested deeper cannot be stringified again (V8's
 * JSON.stringify overflows its stack near 5,000 levels), so it is refused at the door.
 */
export function nestingExceeds(value: unknown, max: number): boolean {
  // Two parallel stacks rather than one of [item, depth] pairs: no array allocated per object of
  // every request body.
  const items: unknown[] = [value];
  const depths: number[] = [0];
  while (items.length > 0) {
    const item = items.pop();
    const depth = depths.pop()!;
    if (item === null || typeof item !== 'object' || ArrayBuffer.isView(item)) continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (child !== null && typeof child === 'object') {
        items.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

function checkNesting(body: unknown): void {
  if (nestingExceeds(body, brokerLimits.bodyNestingMax)) {
    throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `the body nests arrays and objects more than ${brokerLimits.bodyNestingMax} levels deep`, {
      limit: brokerLimits.bodyNestingMax,
    });
  }
}

/**
 * A body parser from a decoder: a decoding failure is SPOOL_ERR_MALFORMED_BODY (`what` says which
 * format), and every decoded body passes the nesting bound.
 */
function bodyParser<T>(what: string, decode: (raw: T) => unknown) {
  return (_request: unknown, raw: unknown, done: (error: Error | null, body?: unknown) => void): void => {
    let body: unknown;
    try {
      body = decode(raw as T);
    } catch (error) {
      done(isSpoolError(error) ? error : new BrokerError('SPOOL_ERR_MALFORMED_BODY', `the body is not valid ${what}: ${(error as Error).message}`), undefined);
      return;
    }
    try {
      checkNesting(body);
      done(null, body);
    } catch (error) {
      done(error as Error, undefined);
    }
  };
}

function decodeMsgpack(bytes: Buffer): unknown {
  if (bytes.includes(MSGPACK_PROTO_KEY)) {
    throw new BrokerError('SPOOL_ERR_BAD_REQUEST', 'the msgpack body holds the string "__proto__", which msgpack bodies cannot carry faithfully (it would be stored as "__proto_"): send this body as JSON');
  }
  return unpack(bytes);
}

export function registerContentTypes(app: FastifyInstance): void {
  // Only the three types above: fastify's own text/plain parser would hand routes a string no
  // schema describes (a text/plain produce body reached the handler); now any other type is a 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_CONTENT_TYPE, { parseAs: 'string' }, bodyParser<string>('JSON', (text) => JSON.parse(text)));
  app.addContentTypeParser(MSGPACK_CONTENT_TYPE, { parseAs: 'buffer' }, bodyParser<Buffer>('msgpack', decodeMsgpack));
  app.addContentTypeParser(BATCH_CONTENT_TYPE, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
}
