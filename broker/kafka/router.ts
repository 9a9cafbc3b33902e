/**
 * One request frame in, one response frame out (or none):
 *
 *   request  = RequestHeader (v1, v2 when the API version is flexible) | body
 *   response = int32 size | ResponseHeader (v0, v1 when flexible; ApiVersions always v0) | body
 *
 * An unknown API key, or a version the API does not serve, closes the connection (as Kafka
 * does), except ApiVersions: a version it does not serve is answered UNSUPPORTED_VERSION with
 * the supported list in a v0 body, so the client can retry with one it shares.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { apisByKey, API_VERSIONS_KEY, supportedApis } from './apis.js';
import { authorizeKafka, type Refusals } from './authorization.js';
import type { KafkaServices } from './context.js';
import { KafkaErrorCode } from './error-codes.js';
import { decodeMessage, encodeMessage, type Message } from './protocol/codec.js';
import { KafkaFrameError } from './protocol/frame-error.js';
import { messages, RequestHeader, ResponseHeader } from './protocol/messages.js';
import { Reader } from './protocol/reader.js';
import type { CompiledMessage } from './protocol/schema.js';
import { Writer } from './protocol/writer.js';
import type { KafkaSession } from './session.js';

export interface RequestHeaderFields {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
}

/** Encodes one response frame: the size, the header and the body, as buffers to write in order. */
export function encodeResponse(definition: CompiledMessage, version: number, correlationId: number, body: Message, headerVersion: number): Buffer[] {
  const writer = new Writer(512);
  writer.int32(0); // the size, patched below
  encodeMessage(ResponseHeader.at(headerVersion), { correlationId }, writer);
  encodeMessage(definition.at(version), body, writer);
  const chunks = writer.finish();
  chunks[0]!.writeInt32BE(writer.length - 4, 0);
  return chunks;
}

function unsupportedApiVersions(correlationId: number): Buffer[] {
  const body = { errorCode: KafkaErrorCode.UNSUPPORTED_VERSION, apiKeys: supportedApis, throttleTimeMs: 0 };
  return encodeResponse(messages.ApiVersions.response, 0, correlationId, body, 0);
}

/** Peeks the fixed part of a request header (the same in every header version). */
export function peekHeader(frame: Buffer): RequestHeaderFields {
  const reader = new Reader(frame);
  return { apiKey: reader.int16(), apiVersion: reader.int16(), correlationId: reader.int32() };
}

/**
 * The whole request refused with the response's top-level error code, every other field its
 * default (as Kafka's getErrorResponse); an API whose response has none closes the connection.
 */
function refusedWhole(apiName: string, response: CompiledMessage, version: number, refused: Refusals): Message {
  if (!response.at(version).fields.some((field) => field.key === 'errorCode')) throw new KafkaFrameError(`${apiName} refused: ${refused.refused.length} resources not allowed`);
  return { throttleTimeMs: 0, errorCode: refused.firstCode };
}

/**
 * A quota's throttle time (security/quotas.ts) delays the response by as long, as Kafka does for
 * clients that do not throttle themselves; the answer carries it in throttle_time_ms.
 */
async function throttled(answer: Message, signal: AbortSignal): Promise<void> {
  const throttleMs = typeof answer.throttleTimeMs === 'number' ? answer.throttleTimeMs : 0;
  if (throttleMs <= 0) return;
  await sleep(throttleMs, undefined, { signal }).catch(() => {}); // the connection closed: the answer goes nowhere
}

export async function handleFrame(frame: Buffer, services: KafkaServices, signal: AbortSignal, session: KafkaSession): Promise<Buffer[] | null> {
  const { apiKey, apiVersion, correlationId } = peekHeader(frame);
  const api = apisByKey.get(apiKey);
  if (!api) throw new KafkaFrameError(`unknown API key ${apiKey}`);
  const definition = messages[api.name];
  const { min, max } = definition.request.versions;
  if (apiVersion < min || apiVersion > max) {
    if (apiKey === API_VERSIONS_KEY) return unsupportedApiVersions(correlationId);
    throw new KafkaFrameError(`${api.name} v${apiVersion} is not served (v${min}-v${max})`);
  }
  const flexible = definition.request.isFlexible(apiVersion);
  const reader = new Reader(frame);
  const header = decodeMessage(RequestHeader.at(flexible ? 2 : 1), reader);
  const body = decodeMessage(definition.request.at(apiVersion), reader);
  services.log.debug({ api: api.name, apiVersion, correlationId, clientId: header.clientId }, 'kafka request');
  const refused = authorizeKafka(api.name, body, session, services);
  const answer = refused.any && !api.answersRefusals ? refusedWhole(api.name, definition.response, apiVersion, refused) : await api.handle(body, { apiVersion, clientId: header.clientId as string | null, clientHost: session.address, signal, session, refused }, services);
  if (answer === null) return null;
  await throttled(answer, signal);
  const headerVersion = apiKey === API_VERSIONS_KEY ? 0 : flexible ? 1 : 0;
  return encodeResponse(definition.response, apiVersion, correlationId, answer, headerVersion);
}
