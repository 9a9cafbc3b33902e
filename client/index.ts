// The package's public face: `import { Spool } from 'spool-broker'`.
export { Spool, DEFAULT_URL, type SpoolOptions } from './spool.js';
export { Admin } from './admin.js';
export { Producer, type ProducerOptions } from './producer/producer.js';
export type { ProducerRecord } from './record-encoding.js';
export { Consumer, type ConsumerOptions, type RunOptions } from './consumer/consumer.js';
export type { Message, Batch } from './consumer/message.js';
export { Queue, type QueueOptions, type QueueMessage, type QueueConfig, type QueueDescription, type ProcessOptions } from './queue/queue.js';
export { type Codec, type CodecName, jsonCodec, msgpackCodec, stringCodec, bytesCodec } from './codecs.js';
export { SpoolClientError, clientErrors, type ClientErrorCode } from './errors.js';
export type * from './types.js';
