/**
 * A request frame as a client writes it (size | RequestHeader v1, v2 when flexible | body): for the
 * listener's tests and bench:kafka, which speak the protocol without a client library.
 */
import { encodeMessage, type Message } from './codec.js';
import { messages, RequestHeader, type ApiName } from './messages.js';
import { Writer } from './writer.js';

export function encodeRequestFrame(api: ApiName, version: number, body: Message, correlationId: number, clientId = 'spool'): Buffer {
  const definition = messages[api].request;
  const writer = new Writer();
  writer.int32(0);
  encodeMessage(RequestHeader.at(definition.isFlexible(version) ? 2 : 1), { requestApiKey: definition.spec.apiKey, requestApiVersion: version, correlationId, clientId }, writer);
  encodeMessage(definition.at(version), body, writer);
  const frame = Buffer.concat(writer.finish());
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}
