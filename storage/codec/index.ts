// The wire and disk codecs: the only part of storage/ the client depends on.
export * from './record-batch.js';
export * from './compression.js';
export * from './murmur2.js';
export { crc32c } from './crc32c.js';
export * from './queue-messages.js';
export * from './queue-session-frames.js';
