// The package's public face: `import { Spool } from 'spool-broker'`.
export { Spool, DEFAULT_URL, type SpoolOptions } from './spool.js';
export { Admin } from './admin.js';
export { SecurityAdmin, type UserSummary, type TokenSummary, type AclEntry } from './security-admin.js';
export type { Credentials } from './credentials.js';
export { Producer, type ProducerOptions } from './producer/producer.js';
export type { ExpectedOffsets } from './producer/conditional-send.js';
export type { ProducerRecord } from './record-encoding.js';
export { Consumer, type ConsumerOptions, type RunOptions } from './consumer/consumer.js';
export type { Message, Batch } from './consumer/message.js';
export { Queue, type QueueOptions, type QueueMessage, type QueueConfig, type QueueDescription, type ProcessOptions } from './queue/queue.js';
export { Subscription, type SubscribeOptions, type LiveHandler } from './subscribe/subscription.js';
export { Responder, type RespondOptions, type RequestHandler } from './request-reply/responder.js';
export type { RequestOptions } from './request-reply/requester.js';
export { REPLY_TO_HEADER, CORRELATION_ID_HEADER, DEADLINE_HEADER, ERROR_HEADER } from './request-reply/headers.js';
export { type Codec, type CodecName, jsonCodec, msgpackCodec, stringCodec, bytesCodec } from './codecs.js';
export { Streams, WrongExpectedVersionError, type ExpectedVersion, type StreamEvent, type StreamEventInput, type StreamInfo, type ReadStreamOptions, type AppendResult, type StreamMetadataView, type StreamSubscribeOptions } from './streams.js';
export { SpoolClientError, clientErrors, type ClientErrorCode } from './errors.js';
export type * from './types.js';
