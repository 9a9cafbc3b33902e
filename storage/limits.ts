/**
 * Every limit of the storage engine, in one place, with the reason for its value. Anything that
 * grows with input (queued bytes, waiters, open files, buffers) is bounded here.
 */
export const storageLimits = {
  /** Kafka's default index.interval.bytes: one sparse index entry per 4 KiB of log. */
  indexIntervalBytes: 4096,
  /** Kafka's default segment.bytes is 1 GiB; 128 MiB (ARCHITECTURE §2.5) keeps retention fine-grained. */
  segmentBytes: 128 * 1024 * 1024,
  /** A single batch may not exceed this, whatever the topic's maxMessageBytes says: a 32-bit batchLength
   *  is legal up to 2 GiB, but a batch is held in memory whole on every path. */
  batchBytesMax: 64 * 1024 * 1024,
  /** Default per-topic maxMessageBytes (Kafka's message.max.bytes is ~1 MiB; ours allows 8 MiB batches). */
  maxMessageBytes: 8 * 1024 * 1024,
  /** Bytes accepted by append() but not yet written, per partition; beyond it append() answers
   *  SPOOL_ERR_BACKPRESSURE instead of letting memory grow with a fast producer and a slow disk. */
  pendingBytesMax: 64 * 1024 * 1024,
  /** Bytes gathered into one writev(2). Bigger rounds amortize syscalls and fdatasync; the cap keeps
   *  the latency of a single round bounded. */
  writeRoundBytesMax: 16 * 1024 * 1024,
  /** Long-poll waiters per partition. */
  waitersPerPartitionMax: 10_000,
  /** Sealed-segment file descriptors kept open across all partitions (the active segment of each
   *  partition holds its own). Thousands of partitions must not exhaust the process's descriptors. */
  openSegmentFilesMax: 512,
  /** Partitions of a topic opened (or recovered) at once: enough to keep the disk's queue and
   *  libuv's threads busy, few enough that the descriptors they hold for a moment stay small. */
  partitionsOpeningMax: 32,
  /** A read past the sparse index entry scans forward at most this much before the target batch:
   *  index interval plus the largest batch. Read in chunks of this size. */
  readChunkBytes: 1024 * 1024,
  /** Partitions closed at once (shutdown, topic deletion). Each close holds up to three descriptors
   *  while it runs (the active segment, an index or snapshot file being written): closing 32,000
   *  partitions at once ran out of them (EMFILE) and lost the clean shutdown. 16 keep the 4 libuv
   *  threads busy and add at most ~48 descriptors to openSegmentFilesMax. */
  closeConcurrency: 16,
  /** Idempotent producers remembered per partition (least recently active forgotten first): about
   *  400 bytes each, so 10,000 cost ~4 MB a partition at most. */
  producersPerPartitionMax: 10_000,
  /** Compaction's key → offset map holds at most this many keys per pass (about 100 bytes each);
   *  a log with more distinct keys is compacted over several passes. */
  compactionKeysMax: 2_000_000,
  /** Streams of one partition with metadata or a soft delete: the table is rewritten whole (JSON,
   *  ~100 bytes an entry) every streamMetadataJournalEntriesMax changes and on each erasure, so
   *  10,000 keep that write about 1 MB and a few ms of the event loop. */
  streamMetadataEntriesMax: 10_000,
  /** Changes appended to a partition's stream-metadata journal before the table is rewritten
   *  whole: a load replays them all (~100 bytes and a CRC each: 1,000 is ~100 KB, well under a ms
   *  to replay), and a rewrite costs up to ~1 MB, so one rewrite per 1,000 changes. */
  streamMetadataJournalEntriesMax: 1_000,
} as const;
