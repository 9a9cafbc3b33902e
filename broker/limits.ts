/**
 * Every limit of the broker, in one place, with the reason for its value. (The storage engine's are
 * in storage/limits.ts.)
 */
const limitValues = {
  /** Largest request body. A produce of 1000 records of 10 KiB fits; larger loads use several requests. */
  bodyBytesMax: 32 * 1024 * 1024,
  /**
   * Records in one JSON or msgpack produce request. Each is parsed, checked and encoded on the event
   * loop: 10,000 records of 100 bytes take about 20 ms (a 100,000-record request stalled everyone
   * for 3 s). Larger loads go as several requests, or as raw batches, which are never parsed.
   */
  recordsPerRequestMax: 10_000,
  /** Headers of one record in a JSON or msgpack produce (200,000 headers on one record took 1.1 s). */
  headersPerRecordMax: 1_000,
  /**
   * Nesting of arrays and objects in a JSON or msgpack body. Values are stored as sent and
   * rendered again as JSON by fetches: V8's JSON.stringify overflows its stack near 5,000 levels.
   */
  bodyNestingMax: 64,
  /** Longest long-poll a fetch may ask for. */
  maxWaitMsMax: 60_000,
  /** Largest maxBytes of one fetch (a single batch larger than it is still returned whole). */
  fetchBytesMax: 64 * 1024 * 1024,
  fetchBytesDefault: 1024 * 1024,
  /** Deepest JSON value rendered as `value` (fetch, live, queues); deeper ones go as valueBase64.
   *  JSON.stringify recurses once per level and overflows the stack at ~4,000-5,000 levels. */
  jsonValueDepthMax: 1000,
  /** Long-polls waiting at once across all partitions: each holds a socket and a timer. */
  longPollsMax: 10_000,
  /** Live (SSE) subscribers at once: each holds a socket and reads the log at its own pace. */
  liveSubscribersMax: 1_000,
  /** Bytes read from the log per step of a live subscriber, before waiting for the socket to drain. */
  liveReadBytes: 256 * 1024,
  /** Comment line sent to idle live subscribers, so proxies and clients see the stream is alive. */
  liveHeartbeatMs: 15_000,
  /** Temporary topics (request/reply): deleted after this long without use, unless idleMs says otherwise. */
  temporaryIdleMsDefault: 60_000,
  /** Shortest idleMs: below it a reply could be lost between a request and its answer. */
  temporaryIdleMsMin: 100,
  /** Longest idleMs (a day): a temporary topic forgotten by its owner must go away eventually. */
  temporaryIdleMsMax: 86_400_000,
  /** How often idle temporary topics are looked for (and so how late, at most, one is deleted). */
  temporarySweepIntervalMs: 1_000,
  /** Slow or stalled clients (slowloris): the whole request must arrive within this time. */
  requestTimeoutMs: 30_000,
  /** Idle keep-alive connections are closed after this. */
  keepAliveTimeoutMs: 72_000,
  /** A connection that sends nothing at all is closed after this. */
  connectionTimeoutMs: 10_000,
  /** Consumer group sessions: a member silent longer than its session timeout is expired. */
  sessionTimeoutMinMs: 1_000,
  sessionTimeoutMaxMs: 300_000,
  sessionTimeoutDefaultMs: 30_000,
  /** How often expired group members are swept (besides on every group request). */
  groupSweepIntervalMs: 1_000,
  /** Retry-After answered with 429 backpressure. */
  retryAfterSeconds: 1,
  /** Partitions of one topic. */
  partitionsPerTopicMax: 10_000,
  /** GET /v1/stats: how often traffic totals are sampled (the resolution of the console's charts). */
  statsSampleIntervalMs: 1_000,
  /** Samples kept for the history /v1/stats answers: 5 minutes at one a second, a few KiB. */
  statsHistorySamples: 300,
  /** Per-topic rates are averaged over this many samples, so one burst does not read as the rate. */
  statsRateWindowSamples: 5,
  /** Dead letters moved back by one redrive request (each is appended again: a bound on the write). */
  redriveRecordsMax: 10_000,
  /** Dead-letter bytes one redrive request reads, however few of them belong to its queue. */
  redriveScanBytesMax: 16 * 1024 * 1024,
  /** Time allowed for in-flight requests to finish on SIGTERM before the process exits anyway. */
  shutdownGraceMs: 10_000,
};

export type BrokerLimits = { readonly [K in keyof typeof limitValues]: number };

export const brokerLimits: BrokerLimits = Object.freeze(limitValues);
