/**
 * The storage engine's error registry. Every error a caller can see has a stable `code`
 * (`SPOOL_ERR_*`, never reused for another meaning), the HTTP status the broker answers with, a
 * `retriable` flag, and context naming what failed (topic, partition, offset, path, operation).
 * The broker adds its own codes in broker/errors.ts on the same base class.
 */
export interface ErrorContext {
  topic?: string;
  partition?: number;
  offset?: number;
  path?: string;
  operation?: string;
  [key: string]: unknown;
}

export interface ErrorSpec {
  status: number;
  retriable: boolean;
  description: string;
}

export class SpoolError extends Error {
  override name = 'SpoolError';
  readonly code: string;
  readonly status: number;
  readonly retriable: boolean;
  readonly context: ErrorContext;

  constructor(code: string, spec: ErrorSpec, message: string, context: ErrorContext = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.status = spec.status;
    this.retriable = spec.retriable;
    this.context = context;
  }

  toJSON(): { code: string; message: string } & ErrorContext {
    return { ...this.context, code: this.code, message: this.message };
  }
}

/** Storage codes. Documented in docs/errors.md; test/storage/errors.test.ts pins the list. */
export const storageErrors = {
  SPOOL_ERR_CORRUPT_BATCH: {
    status: 400,
    retriable: false,
    description: 'A record batch failed its size, length, varint or CRC-32C check (on input, or read back from disk).',
  },
  SPOOL_ERR_INVALID_BATCH: {
    status: 400,
    retriable: false,
    description:
      'A produced batch breaks the produce rules (named in `field`): offset deltas 0..n-1, lastOffsetDelta = recordsCount - 1, timestamps in 0..2^53-1 with maxTimestamp their largest, no control or transactional batch.',
  },
  SPOOL_ERR_UNSUPPORTED_MAGIC: {
    status: 400,
    retriable: false,
    description: 'A record batch has a magic byte other than 2 (only Kafka RecordBatch v2 is stored).',
  },
  SPOOL_ERR_UNSUPPORTED_COMPRESSION: {
    status: 400,
    retriable: false,
    description: 'A record batch uses a compression id outside 0-4 (none, gzip, snappy, lz4, zstd), or a codec whose native package did not load on this platform.',
  },
  SPOOL_ERR_CORRUPT_ANSWER: {
    status: 502,
    retriable: false,
    description: 'A binary answer of the broker (a queue receive with format=binary) failed its length checks, or an answer of many results (queue settlements, coalesced stream appends) has none for a request it carried: the client read something the broker did not write whole.',
  },
  SPOOL_ERR_DECOMPRESSED_TOO_LARGE: {
    status: 413,
    retriable: false,
    description: 'A compressed record batch declares or decompresses to more than the limit: the topic\'s maxMessageBytes on produce, the batch limit (64 MiB) on reads. Refused before the output is allocated.',
  },
  SPOOL_ERR_MESSAGE_TOO_LARGE: {
    status: 413,
    retriable: false,
    description: 'A record batch is larger than the topic\'s maxMessageBytes.',
  },
  SPOOL_ERR_OFFSET_OUT_OF_RANGE: {
    status: 416,
    retriable: false,
    description: 'The requested offset is below the log start offset or above the high watermark; the body names the valid range.',
  },
  SPOOL_ERR_OFFSET_MISMATCH: {
    status: 409,
    retriable: false,
    description: 'expectedOffset did not match the partition\'s end offset (optimistic concurrency); the body names the actual end.',
  },
  SPOOL_ERR_WRONG_EXPECTED_VERSION: {
    status: 409,
    retriable: false,
    description: 'A conditional stream append\'s expectedVersion did not match the stream; the body names expectedVersion and actualVersion (-1: no event yet), and nothing was written.',
  },
  SPOOL_ERR_STREAMS_NOT_ENABLED: {
    status: 409,
    retriable: false,
    description: 'A stream route was used on a topic created without streamIndex: true (the per-key index must cover the whole log, so it is chosen at creation).',
  },
  SPOOL_ERR_STREAM_ERASED: {
    status: 410,
    retriable: false,
    description: 'The stream was erased (POST .../streams/:stream/erase): its id is refused for writes, by any API (HTTP, Kafka), and for reads, for good; `erasePending` says whether the background worker is still removing its records from the segments.',
  },
  SPOOL_ERR_STREAM_WRONG_PARTITION: {
    status: 400,
    retriable: false,
    description: 'On a topic with streamIndex, a keyed record was sent to a partition other than its key\'s (murmur2 of the key, Kafka\'s partitioner; `keyPartition` names it), by an explicit partition, a raw batch or Kafka Produce: a stream lives in one partition only, so its versions and its erasure cover all of it. Nothing was written.',
  },
  SPOOL_ERR_TOO_MANY_STREAM_METADATA: {
    status: 429,
    retriable: true,
    description: 'The partition holds streamMetadataEntriesMax streams with metadata or soft deletes (`limit` names it); clearing a stream\'s metadata (PUT {}) frees its entry, deletes keep theirs. Erasures are never refused by it (kept apart, 32 bytes each).',
  },
  SPOOL_ERR_OUT_OF_ORDER_SEQUENCE: {
    status: 409,
    retriable: false,
    description: 'An idempotent producer\'s batch does not follow its previous sequence number (`expectedSequence`: a batch was lost in between, or it overtook an earlier one); over HTTP a producer new to the partition must start at 0 (`unknownProducer`). Nothing was written; the client re-sends a pipelined request refused so once those ahead of it are answered.',
  },
  SPOOL_ERR_PRODUCER_FENCED: {
    status: 409,
    retriable: false,
    description: 'An idempotent producer used an epoch older than one the partition has already seen.',
  },
  SPOOL_ERR_BACKPRESSURE: {
    status: 429,
    retriable: true,
    description: 'The partition has too many bytes queued but not yet written; retry after the Retry-After delay.',
  },
  SPOOL_ERR_DISK_FULL: {
    status: 507,
    retriable: true,
    description: 'The disk is full (ENOSPC); nothing of the request was acknowledged. Reads keep working.',
  },
  SPOOL_ERR_IO: {
    status: 500,
    retriable: true,
    description: 'A file operation failed; the error names the file and the operation. Nothing of the request was acknowledged.',
  },
  SPOOL_ERR_LOG_CLOSED: {
    status: 503,
    retriable: true,
    description: 'The partition log is closed (the broker is shutting down, or the topic was deleted).',
  },
  SPOOL_ERR_TOO_MANY_WAITERS: {
    status: 429,
    retriable: true,
    description: 'Too many long-polls are already waiting on this partition.',
  },
  SPOOL_ERR_NOT_A_DATA_DIR: {
    status: 400,
    retriable: false,
    description: 'The directory given as a data directory does not exist, is not a directory, or has no topics/ folder (a broker creates it on its first start); `spool check` exits 2.',
  },
} as const satisfies Record<string, ErrorSpec>;

export type StorageErrorCode = keyof typeof storageErrors;

export class StorageError extends SpoolError {
  override name = 'StorageError';
  constructor(code: StorageErrorCode, message: string, context: ErrorContext = {}, cause?: unknown) {
    super(code, storageErrors[code], message, context, cause);
  }
}

export function isSpoolError(error: unknown): error is SpoolError {
  return error instanceof SpoolError;
}

/** Wraps a failed system call so that the error names the file and the operation. */
export function ioError(error: unknown, operation: string, path: string, context: ErrorContext = {}): StorageError {
  if (error instanceof SpoolError) return error as StorageError;
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  const code: StorageErrorCode = errno === 'ENOSPC' || errno === 'EDQUOT' ? 'SPOOL_ERR_DISK_FULL' : 'SPOOL_ERR_IO';
  return new StorageError(code, `${operation} ${path} failed: ${detail}`, { ...context, path, operation, errno }, error);
}
