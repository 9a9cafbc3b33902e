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
  /**
   * Words of a topic pattern (group subscriptions, live pub/sub). Matching costs pattern words ×
   * topic words, once per subscriber on every produce and per member on every rebalance; AMQP and
   * NATS routing keys rarely pass a dozen words.
   */
  patternWordsMax: 32,
  /**
   * Slow or stalled clients (slowloris): the request line and headers must arrive within this
   * time of the connection (or of the previous answer); a connection that sends nothing at all is
   * closed after it too. A real client sends its headers in one packet. A TLS handshake (both
   * listeners) gets the same time: a client that starts one and stalls holds a socket as well.
   */
  headersTimeoutMs: 10_000,
  /** The whole request, body included, must arrive within this time (32 MiB at ~1 MiB/s). */
  requestTimeoutMs: 30_000,
  /** How often the two timeouts above are checked, so a stalled connection lives at most this much longer. */
  connectionsCheckIntervalMs: 1_000,
  /** Idle keep-alive connections are closed after this (no timeout applies while a request is answered). */
  keepAliveTimeoutMs: 72_000,
  /**
   * Open HTTP connections. Each holds a descriptor and a parser (a waiting long-poll holds one).
   * Past it a connection's first request is answered 429.
   */
  connectionsMax: 8_000,
  /** Open connections from one address: one client may hold half of connectionsMax. */
  connectionsPerAddressMax: 4_000,
  /**
   * Past this many open connections node closes new ones at accept, without an answer: the room
   * above connectionsMax is for the 429 answers. With partitionsMax active segments and the
   * segment file cache, within the machine's 20,000 descriptors.
   */
  connectionsHardMax: 9_000,
  /** Consumer group sessions: a member silent longer than its session timeout is expired. */
  sessionTimeoutMinMs: 1_000,
  sessionTimeoutMaxMs: 300_000,
  sessionTimeoutDefaultMs: 30_000,
  /** How often expired group members are swept (besides on every group request). */
  groupSweepIntervalMs: 1_000,
  /**
   * Members of one consumer group. A rebalance costs members × partitions; a group with more
   * members than partitions leaves the rest idle anyway. (Kafka's group.max.size is unbounded by
   * default; this is its cap.)
   */
  membersPerGroupMax: 1_000,
  /** Consumer groups (with members or committed offsets): each is SQLite rows, a line of every listing and its lag series. */
  groupsMax: 10_000,
  /**
   * An empty group (no live member) with no join or commit for this long is deleted with its
   * offsets: Kafka's offsets.retention.minutes, 7 days.
   */
  groupRetentionMs: 7 * 24 * 60 * 60 * 1000,
  /** How often groups past groupRetentionMs are looked for. */
  groupRetentionCheckIntervalMs: 60 * 60 * 1000,
  /**
   * Group/topic/partition series of consumer-group lag in one scrape: each costs a line of every
   * scrape and, when behind, one small log read for its age. Past it the rest are counted in
   * spool_group_lag_series_omitted rather than shown.
   */
  metricsLagSeriesMax: 10_000,
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
  /**
   * Queue state changes journalled (18 bytes each) before they are folded into the queue's tables
   * (queue-store.ts): the fold rewrites at most one window of rows, so 50,000 changes (about 900 KiB
   * of journal, a few ms to replay at a restart) cost about one row write per 10 changes.
   */
  queueJournalEntriesMax: 50_000,
  /** A queue lease (visibilityMs of a queue, a receive or a session): long enough to hand a message over, at most half a day (SQS's maximum). */
  queueVisibilityMsMin: 100,
  queueVisibilityMsMax: 12 * 3_600_000,
  /** A nack's delay before the message is delivered again: SQS's maximum lease, half a day. */
  queueDelayMsMax: 12 * 3_600_000,
  /**
   * Queue sessions (WebSockets of GET .../queues/:queue/session) open at once: each is a
   * connection (counted by connectionsMax and quotaConnectionsPerPrincipal too) with a push loop.
   */
  queueSessionsMax: 4_000,
  /** Largest client frame of a queue session: an ACK of queueSessionReceiptsPerFrameMax receipts (24 bytes each) and its head fit. Larger closes the session (WebSocket 1009). */
  queueSessionFrameBytesMax: 256 * 1024,
  /** Receipts in one ACK/NACK/REJECT frame: HTTP's per-request bound (a settle walks them all on the event loop). */
  queueSessionReceiptsPerFrameMax: 10_000,
  /** Messages a session may be owed at once (its outstanding credit): ten full receives' worth. */
  queueSessionCreditMax: 10_000,
  /**
   * Bytes a session may have waiting in its socket before the broker stops pushing (a worker that
   * does not read): about a thousand 1 KiB messages, so leases do not run out unread in a buffer.
   */
  queueSessionBufferedBytesMax: 1024 * 1024,
  /**
   * Messages leased per push of a session, whatever its credit: the buffer bound below is checked
   * between pushes, so one push is what a slow reader can be sent past it (Redis benches use COUNT 100).
   */
  queueSessionPushMessagesMax: 250,
  /**
   * Settlement frames of a session being committed at once. Past it (or past
   * queueSessionBufferedBytesMax waiting in the socket, SETTLED answers included) the broker stops
   * reading the session's socket until they are done: a worker that sends frames without reading
   * the answers is held by TCP's flow control instead of growing the broker's memory (each frame
   * of queueSessionReceiptsPerFrameMax receipts holds about a megabyte while settled and answered).
   */
  queueSessionSettlesInFlightMax: 16,
  /**
   * A queue session is pinged this often (WebSocket ping); one that has not answered the previous
   * ping is closed: a worker gone without a FIN (a dead host, a cut cable) would otherwise hold its
   * connection and quota slot for good, since a waiting session is silent on purpose.
   */
  queueSessionPingMs: 30_000,
  /** A REJECT frame's reason (HTTP's bound on `reason`): it becomes a dead letter's header. */
  queueSessionReasonBytesMax: 1000,
  /**
   * Partitions of all topics. Each holds its active segment's descriptor, a writer and its
   * indexes in memory, and lengthens start-up and every scrape; with connectionsHardMax and the
   * segment file cache it stays within the machine's 20,000 descriptors.
   */
  partitionsMax: 10_000,
  /** Topics (temporary reply topics included): each is a SQLite row, a folder, metric series and a line of every listing. */
  topicsMax: 5_000,
  /**
   * Topics deleted at once by an embedded broker's reset(): each closes its partitions' files and
   * removes its folder; a few at a time keep the thread pool busy without running out of descriptors.
   */
  topicDeletesAtOnce: 8,
  /** Time allowed for in-flight requests to finish on SIGTERM before the process exits anyway. */
  shutdownGraceMs: 10_000,
  /** Largest Kafka request frame: Kafka's socket.request.max.bytes (100 MiB). Larger closes the connection. */
  kafkaFrameBytesMax: 100 * 1024 * 1024,
  /** Bytes of Kafka requests read from one connection and not yet answered: past it the socket is
   *  paused until answers go out, so a pipelining client cannot queue unbounded memory. */
  kafkaInFlightBytesMax: 128 * 1024 * 1024,
  /** Kafka requests of one connection being handled at once (clients pipeline up to 5); later
   *  frames wait in the socket. */
  kafkaInFlightRequestsMax: 64,
  /** Events in one stream append: they are one batch, checked and encoded on the event loop. */
  streamEventsPerAppendMax: 1_000,
  /**
   * Appends in one many-stream request (POST .../streams/events): all of them are parsed, checked
   * and encoded in one turn of the event loop, like a produce request's records; the client
   * coalesces concurrent appends into requests of at most this many.
   */
  streamAppendsPerRequestMax: 1_000,
  /** Events over all appends of one many-stream request (as recordsPerRequestMax for a produce). */
  streamAppendsEventsMax: 10_000,
  /** Body of one many-stream request: its appends to one partition become one write, whose batches
   *  must fit the default maxMessageBytes (8 MiB) with their headers. */
  streamAppendsBodyBytesMax: 4 * 1024 * 1024,
  /** A stream id is a record key and a URL path segment: long ids cost every index entry's key bytes. */
  streamIdBytesMax: 512,
  /** An event type or id: a header of every event. */
  streamEventFieldLengthMax: 256,
  /** An event's metadata as JSON: a header of every event, read with it. */
  streamEventMetadataBytesMax: 16 * 1024,
  /** Events one stream read answers: each is a record read and decoded on the event loop. */
  streamReadEventsMax: 1_000,
  streamReadEventsDefault: 100,
  /** Stream ids one listing answers (the listing walks the keys of every segment of the topic). */
  streamListMax: 1_000,
  /** A retry of an append with expectedVersion any/exists is recognised among this many last events. */
  streamIdempotencyWindowEvents: 100,
  /**
   * Settled appends per partition whose event ids are kept in memory (broker/streams/recent-appends.ts):
   * a retry racing its original (in one many-stream request, or concurrent) is recognised before the
   * durable lookup could see the original's events; older ones are found by that lookup.
   */
  streamRecentAppendsPerPartition: 1_000,
  /** Kafka's connections.max.idle.ms: a Kafka connection silent this long is closed. */
  kafkaConnectionIdleMs: 10 * 60 * 1000,
  /**
   * Kafka connections at once: each may hold up to kafkaInFlightBytesMax; more are closed at TCP
   * accept (node's maxConnections), before a TLS handshake costs anything.
   */
  kafkaConnectionsMax: 1_000,
  /** Kafka connections from one address: one client may hold half of kafkaConnectionsMax, as over HTTP. */
  kafkaConnectionsPerAddressMax: 500,
  /**
   * When the broker requires credentials, a Kafka connection that has not finished SASL (nor
   * brought a client certificate) this long after it opened is closed: else a silent client held a
   * kafkaConnectionsMax slot for kafkaConnectionIdleMs. Clients authenticate in milliseconds;
   * 10 s leaves room for a slow network and the failed-login delay of a few retries.
   */
  kafkaAuthenticationTimeoutMs: 10_000,
  /**
   * Bytes of one Kafka group member's protocol metadata (all protocols of a JoinGroup) and of each
   * assignment a leader sends: kept in memory for the group's life, times membersPerGroupMax.
   * Kafka clients send a few hundred bytes; Kafka's offsets topic caps them at 1 MiB.
   */
  kafkaGroupMemberBytesMax: 1024 * 1024,
  /** Kafka's offset.metadata.max.bytes: the metadata string of one committed offset. */
  offsetMetadataBytesMax: 4096,
  /** Kafka group ids, as long as HTTP group names may be (each is a SQLite row and a metric label). */
  groupIdLengthMax: 249,
  /** Bytes of a password: PBKDF2 hashes it once per iteration block, and no one types more. */
  passwordBytesMax: 1024,
  /** Users in spool.db: each is rows and, listed, a line; people and services, not customers. */
  usersMax: 10_000,
  /** API tokens in spool.db: each a row; a leak creating tokens in a loop must stop somewhere. */
  tokensMax: 10_000,
  /** ACL entries: every authorization walks the entries of one principal (indexed), listings walk all. */
  aclsMax: 100_000,
  /**
   * Failed authentications from one address wait authFailureDelayMsBase × 2^(failures-1) before
   * being answered, up to authFailureDelayMsMax: a password guesser gets slower and slower while a
   * correct login from another address is answered at once. Failures are counted per network
   * (IPv6 by /64) and per target user or token; one is forgotten per authFailureForgetMs, all after
   * authFailureQuietMs without failures; a success forgets only the failures aimed at its own user
   * or token (security/failed-login-delay.ts).
   */
  authFailureDelayMsBase: 50,
  authFailureDelayMsMax: 5_000,
  authFailureQuietMs: 10 * 60 * 1000,
  authFailureForgetMs: 30 * 1000,
  /** Addresses remembered for the delay above (the oldest forgotten first): a bound on its memory. */
  authFailureAddressesMax: 100_000,
  /** Browser sessions (the console's cookie): lifetime, and how many live at once. */
  sessionTtlMs: 12 * 60 * 60 * 1000,
  sessionsMax: 10_000,
  /** Successful Basic logins remembered (by a hash of the header) so PBKDF2 is not paid per request. */
  basicCacheEntriesMax: 1_000,
  basicCacheTtlMs: 60_000,
  /** A TLS file (tlsCert, tlsKey, tlsCa): a CA bundle of every public root is ~220 KiB; a larger file is a wrong path. */
  tlsFileBytesMax: 1024 * 1024,
  /** Array elements in one decoded Kafka request: a forged count must not allocate millions of objects. */
  kafkaElementsPerRequestMax: 1_000_000,
};

export type BrokerLimits = { readonly [K in keyof typeof limitValues]: number };

export const brokerLimits: BrokerLimits = Object.freeze(limitValues);
