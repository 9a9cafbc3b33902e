/**
 * The producer's options, with the checks of those that can be wrong (a misspelled codec, a
 * pipelining depth that cannot keep order).
 */
import { compressionIdOf, type CompressionName, compressionNames, PRODUCER_BATCHES_REMEMBERED } from '../../storage/codec/index.js';
import type { BackoffOptions } from '../backoff.js';
import type { Codec, CodecName } from '../codecs.js';
import { SpoolClientError } from '../errors.js';

export interface ProducerOptions<T = unknown> {
  /** Value codec: json (default), msgpack, string, bytes, or your own. */
  codec?: CodecName | Codec<T>;
  /**
   * How long a batch waits for more records. Default 0: records of a send() go at once, push()ed
   * ones on the next turn of the event loop; while the partition's previous request is in flight,
   * as soon as that returns.
   */
  lingerMs?: number;
  /** A batch is sent once it holds this many bytes. Default 1 MiB. */
  batchBytes?: number;
  /** push() answers false once this many bytes wait to be sent. Default 64 MiB. */
  bufferBytes?: number;
  /**
   * Codec of each batch's records: none (default), gzip, snappy (xerial-framed, as the Java client
   * sends it), lz4 (frame format) or zstd. The broker stores batches as sent; every Kafka client
   * reads all five.
   */
  compression?: CompressionName;
  /** Producer id + sequence numbers: retries never duplicate, and requests are pipelined (maxInFlight). Default false. */
  idempotent?: boolean;
  /**
   * Produce requests in flight per partition, 1-5 (Kafka's max.in.flight.requests.per.connection).
   * Default 5 when idempotent, else 1: only sequence numbers let the broker refuse a request that
   * overtook an earlier one (over another pooled connection), so without them one request in
   * flight is what keeps records in order. Idempotent, at most 5 batches are in flight per
   * partition in all, the batches the broker remembers per producer to answer a retry.
   */
  maxInFlight?: number;
  /**
   * Bytes per produce request. Batches that queued while a partition's requests were in flight go
   * together in the next one, so the pipe fills even with one request in flight. Default 4 MiB
   * (measured best of 2-16 MiB).
   */
  maxRequestBytes?: number;
  retry?: Partial<BackoffOptions>;
  /** A batch that is not acknowledged within this time fails. Default 120 s (Kafka's delivery.timeout.ms). */
  deliveryTimeoutMs?: number;
  /** Told about every failed push() batch (flush() rejects with the first one too). */
  onError?: (error: SpoolClientError, records: number) => void;
}

/** maxInFlight: 1-5, above 1 only with idempotent (nothing else keeps pipelined requests in order). */
export function maxInFlightOption(value: number | undefined, idempotent: boolean): number {
  if (value === undefined) return idempotent ? PRODUCER_BATCHES_REMEMBERED : 1;
  if (!Number.isInteger(value) || value < 1 || value > PRODUCER_BATCHES_REMEMBERED) {
    throw SpoolClientError.local('SPOOL_ERR_INVALID_ARGUMENT', `maxInFlight must be an integer from 1 to ${PRODUCER_BATCHES_REMEMBERED}, not ${JSON.stringify(value)}`, { field: 'maxInFlight' });
  }
  if (value > 1 && !idempotent) {
    throw SpoolClientError.local('SPOOL_ERR_INVALID_ARGUMENT', 'maxInFlight above 1 needs idempotent: true (sequence numbers keep pipelined requests in order)', { field: 'maxInFlight' });
  }
  return value;
}

/** The compression id of the option; a misspelled codec fails at once rather than sending uncompressed. */
export function compressionOption(name: string | undefined): number {
  const id = compressionIdOf(name ?? 'none');
  if (id === undefined) {
    throw SpoolClientError.local('SPOOL_ERR_INVALID_ARGUMENT', `compression must be one of ${compressionNames.join(', ')}, not ${JSON.stringify(name)}`);
  }
  return id;
}
