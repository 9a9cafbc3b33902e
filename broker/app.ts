/**
 * Builds a broker: metadata database, log manager, services and the fastify app, wired in the one
 * direction data flows (route → service → storage). Tests build one on port 0 with a temporary data
 * directory; `spool serve` builds one from the command line.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyBaseLogger, LogController } from 'fastify';
import { type FileSystem, LogManager, nodeFileSystem } from '../storage/index.js';
import { type BrokerConfig, limitsOf, parseHostPort } from './config.js';
import { FetchService } from './fetch/fetch-service.js';
import { ClassicGroupCoordinator } from './groups/classic-coordinator.js';
import { GroupCoordinator } from './groups/coordinator.js';
import { GroupService } from './groups/group-service.js';
import { deadLetterCopyEraser } from './queues/dead-letter-erasure.js';
import { QueueService } from './queues/queue-service.js';
import { registerContentTypes } from './http/content-types.js';
import { registerCors } from './http/cors.js';
import { frameworkErrorHandler, registerErrorHandler } from './http/error-handler.js';
import { ConnectionCounter } from './http/connection-limits.js';
import { type RouteEntry, strictRouteSchemas } from './http/route-table.js';
import { createGatedServer } from './http/gated-server.js';
import { registerLazyDocs } from './http/lazy-docs.js';
import { lazyValidators, routeAjvOptions } from './http/lazy-validators.js';
import { type BrokerLimits, brokerLimits } from './limits.js';
import type Database from 'better-sqlite3';
import { openDatabase } from './metadata/database.js';
import { openStores } from './metadata/stores.js';
import { BrokerMetrics } from './metrics.js';
import { ProduceService } from './produce/produce-service.js';
import { fetchRoutes } from './routes/fetch.js';
import { groupRoutes } from './routes/groups.js';
import { healthRoutes } from './routes/health.js';
import { AppendSignal } from './live/append-signal.js';
import { LiveRegistry } from './live/live-registry.js';
import { SubscriberCounts } from './live/subscriber-counts.js';
import { liveRoutes } from './routes/live.js';
import { livePatternRoutes } from './routes/live-patterns.js';
import { offsetRoutes } from './routes/offsets.js';
import { produceRoutes } from './routes/produce.js';
import { streamRoutes } from './routes/streams.js';
import { StreamService } from './streams/stream-service.js';
import { producerRoutes } from './routes/producers.js';
import { queueRoutes } from './routes/queues.js';
import { queueSessionRoutes } from './routes/queue-session.js';
import { topicRoutes } from './routes/topics.js';
import { consoleRoutes } from './routes/console.js';
import { statsRoutes } from './routes/stats.js';
import { consoleBuildDir } from './package-files.js';
import { StatsService } from './stats/stats-service.js';
import { TrafficSampler } from './stats/traffic-sampler.js';
import { TopicService } from './topics/topic-service.js';
import { sweepTemporaryTopics, TemporaryTopics } from './topics/temporary-topics.js';
import { timedFileSystem } from './timed-file-system.js';
import { KafkaCluster } from './kafka/cluster.js';
import { KafkaListener } from './kafka/listener.js';
import { adminAclRoutes } from './routes/admin-acls.js';
import { adminCredentialRoutes } from './routes/admin-credentials.js';
import { sessionRoutes } from './routes/session.js';
import { registerHttpSecurity } from './security/http-security.js';
import { routeFacts } from './security/route-facts.js';
import { openSecurity } from './security/security.js';
import type { AuditLog } from './security/audit.js';
import { auditHandshakeFailures } from './security/tls-connections.js';
import { admitHttpsConnection, type HttpConnectionQuota } from './security/http-connection-quota.js';
import { kafkaUsesTls, loadTlsFiles, serverTlsOptions, TlsServers } from './security/tls.js';
import type { SecureContextOptions, Server as TlsServer } from 'node:tls';

export interface BuildOptions {
  config: Readonly<BrokerConfig>;
  /** `false` for none, fastify's logger options (pino's), or a pino logger to log through. */
  logger?: boolean | Record<string, unknown> | FastifyBaseLogger;
  /** The storage engine's file system (tests inject faults through it). */
  fileSystem?: FileSystem;
  /** Overrides of broker/limits.ts over the config's (tests use small timeouts and bounds). */
  limits?: Partial<BrokerLimits>;
  /** The web console's built files (default dist/console of the package). */
  consoleDir?: string;
  /** Run the Kafka listener on a free port whatever config.kafkaPort says (tests). */
  kafkaOnFreePort?: boolean;
}

export interface Broker {
  app: FastifyInstance;
  logs: LogManager;
  topics: TopicService;
  /** Every route with its schema, as registered (tests walk it; see http/route-table.ts). */
  routes: readonly RouteEntry[];
  /** `METHOD /url` of every route served but Swagger's /docs, hidden ones included (the permission table covers them all). */
  servedRoutes: readonly string[];
  /** Listens on config.host:config.port (and the Kafka listener's); returns the bound addresses. */
  listen(): Promise<{ host: string; port: number; url: string; kafka: { host: string; port: number } | null }>;
  /** Deletes every group, topic and queue: an embedded broker's reset() between tests. */
  reset(): Promise<void>;
  /** Reads the TLS files again for new connections (SIGHUP); false, logged, when TLS is off or they are bad (the old ones stay). */
  reloadTls(): boolean;
  /** Stops accepting, finishes in-flight requests, syncs and closes logs and metadata. */
  close(): Promise<void>;
}

/**
 * The routes a live producer and group consumer call all the time: their validators are compiled
 * in the background once the broker listens, rather than on their first request, where each
 * compile (10-45 ms) held every produce and delivery of that moment (http/lazy-validators.ts).
 */
export const DATA_PATH_ROUTES = [
  'POST /v1/topics/:topic/records',
  'POST /v1/producers',
  'GET /v1/topics/:topic/partitions/:partition/records',
  'POST /v1/groups/:group/members',
  'POST /v1/groups/:group/members/:memberId/heartbeat',
  'POST /v1/groups/:group/offsets',
  'GET /v1/groups/:group/offsets',
];

export async function buildBroker(options: BuildOptions): Promise<Broker> {
  // Bad TLS files refuse the start before the data directory is touched (SPOOL_ERR_TLS_FILE).
  const tlsFiles = loadTlsFiles(options.config);
  mkdirSync(options.config.dataDir, { recursive: true });
  // First: the data directory's lock, taken before any log file is read or recovered; a broker
  // that fails to start lets it go again.
  const db = openDatabase(options.config.dataDir, options.config.flush === 'always');
  try {
    return await assembleBroker(options, db, tlsFiles);
  } catch (error) {
    db.close();
    throw error;
  }
}

async function assembleBroker(options: BuildOptions, db: Database.Database, tlsFiles: SecureContextOptions | null): Promise<Broker> {
  const { config } = options;
  const limits: BrokerLimits = { ...brokerLimits, ...limitsOf(config), ...options.limits };
  // A TLS handshake is part of a client's first bytes: it gets the time request headers get.
  const tlsOptions = tlsFiles === null ? null : serverTlsOptions(tlsFiles, config, limits.headersTimeoutMs);
  // Set once security is open, before the servers listen (the server is made first, by fastify).
  let audit: AuditLog = () => {};
  let connectionQuota: HttpConnectionQuota | null = null;
  const stores = openStores(db, { queueJournalEntriesMax: limits.queueJournalEntriesMax });
  let shuttingDown = false;
  const connections = new ConnectionCounter(limits);
  const validators = lazyValidators();
  let stopWarming = () => {};
  const app = Fastify({
    ...loggerOption(options.logger),
    bodyLimit: limits.bodyBytesMax,
    forceCloseConnections: 'idle',
    // Topic names may have 249 characters (Kafka's limit); find-my-way's default of 100 answered
    // 414 for longer ones on every /v1/topics/:topic route.
    routerOptions: { maxParamLength: 300 },
    frameworkErrors: frameworkErrorHandler,
    // One log line per request would dominate the log at thousands of requests per second.
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request (pino's child() was ~10% of a one-record produce): the few
    // request-time log lines name their request id themselves.
    childLoggerFactory: (logger) => logger,
    // Answers SPOOL_ERR_SHUTTING_DOWN ahead of routing once close() began: a check per request
    // that costs nothing, where an onRequest hook cost every request a hook run.
    serverFactory: (handler) =>
      createGatedServer(handler, {
        isOpen: () => !shuttingDown,
        limits,
        connections,
        ...(tlsOptions ? { tls: tlsOptions, onSecureConnection: (socket) => admitHttpsConnection(socket, audit, connectionQuota) } : {}),
      }),
    ajv: routeAjvOptions,
    // Validators compiled on a route's first request, once per process (http/lazy-validators.ts),
    // but the data path's soon after listen (DATA_PATH_ROUTES).
    schemaController: { compilersFactory: { buildValidator: validators.buildValidator } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  const log: FastifyBaseLogger = app.log;

  let metrics: BrokerMetrics | null = null;
  let sampler: TrafficSampler | null = null;
  const appends = new AppendSignal();
  const logs = await LogManager.open({
    root: join(config.dataDir, 'topics'),
    fs: timedFileSystem(options.fileSystem ?? nodeFileSystem, (seconds) => {
      metrics?.observeFsync(seconds);
      sampler?.observeFsync(seconds);
    }),
    onRecoveryEvent: (event) => log.warn(event, 'recovery'),
    onBackgroundError: (error) => log.error({ err: error }, 'background storage error'),
    cleanerIntervalMs: config.cleanerIntervalMs,
    streamCleanMinHiddenEvents: config.streamCleanMinHiddenEvents,
    // Read when an erasure runs: partitions open (and may resume one) only after open() answered.
    eraseCopies: deadLetterCopyEraser(stores.queues, stores.topics, () => logs),
    onCommitted: (partition) => appends.notify(partition),
  });
  metrics = new BrokerMetrics(logs, limits.metricsLagSeriesMax);
  const temporary = new TemporaryTopics(stores.temporaryTopics);
  const topics = new TopicService(stores.topics, logs, config.flush, log, temporary, limits, config.quotaPartitionsPerPrincipal);
  await topics.start();
  logs.resumeErasures(); // those that found a dead-letter topic not open yet
  const coordinator = new GroupCoordinator({ topics: () => topics.list(), exists: (name) => logs.partitions(name).length > 0 }, Date.now, limits);
  topics.onChange(() => coordinator.topicsChanged());
  // Kafka classic groups: membership apart (Kafka's protocol), offsets and views shared.
  const classicGroups = new ClassicGroupCoordinator(Date.now, limits);
  const groups = new GroupService(coordinator, stores.offsets, logs, limits, classicGroups);
  const sweep = setInterval(() => coordinator.expire(), limits.groupSweepIntervalMs);
  sweep.unref();
  const expireIdleGroups = () => {
    const deleted = groups.expireIdleGroups();
    if (deleted.length > 0) log.info({ groups: deleted.length }, 'deleted consumer groups idle past groupRetentionMs');
  };
  expireIdleGroups();
  const retention = setInterval(expireIdleGroups, limits.groupRetentionCheckIntervalMs);
  retention.unref();

  const routes: RouteEntry[] = [];
  const servedRoutes: string[] = [];
  strictRouteSchemas(app, routes, servedRoutes);
  const kafkaOn = options.kafkaOnFreePort === true || config.kafkaPort !== 0;
  // Its tables in one transaction, as metadata/stores.ts does for the others: one commit (one
  // fsync) on a fresh data directory rather than one per CREATE TABLE (~25 ms of each embedded start).
  const security = db.transaction(() => openSecurity(db, config, limits, log, kafkaOn))();
  audit = security.audit;
  connectionQuota = security.connectionQuota;
  if (tlsOptions) auditHandshakeFailures(app.server as unknown as TlsServer, 'http', audit);
  // A live subscriber leaving a temporary topic it named starts the topic's idle clock.
  const live = new LiveRegistry(limits.liveSubscribersMax, (named) => named.forEach((topic) => temporary.touch(topic)), security.quotas);
  const stopTemporarySweep = sweepTemporaryTopics(temporary, { inUse: (topic) => live.isNamed(topic), delete: (topic) => topics.delete(topic), log }, limits.temporarySweepIntervalMs);
  const subscriberCounts = new SubscriberCounts(live, coordinator);

  registerHttpSecurity(app, { ...security, allowedHosts: config.allowedHosts, metricsAuth: config.metricsAuth });
  registerContentTypes(app);
  registerErrorHandler(app, limits);
  await registerCors(app, config.corsOrigin);
  // Swagger's /docs, built at its first request (http/lazy-docs.ts) from the route table.
  const docs = registerLazyDocs(app, routes, { title: 'Spool HTTP API', description: 'A persistent, log-structured message broker. Errors: {"error": {"code", "message", ...}}' });
  // A callback-style hook (an async one costs every request a promise and a microtask); fastify
  // times every request itself, so no onRequest hook is needed to note the start.
  const requestMetrics = metrics;
  app.addHook('onResponse', (request, reply, done) => {
    requestMetrics.observeRequest(request.method, routeFacts(request).url ?? 'unknown', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  const startedAtMs = Date.now();
  await app.register(healthRoutes, { metrics, isReady: () => !shuttingDown, startedAtMs });
  const traffic = new TrafficSampler(metrics, () => topics.names(), limits);
  sampler = traffic;
  traffic.start();
  const gaugeValue = async (gauge: { get(): Promise<{ values: Array<{ value: number }> }> }) => (await gauge.get()).values[0]?.value ?? 0;
  const stats = new StatsService({
    dataDir: config.dataDir,
    startedAtMs,
    topics,
    sampler: traffic,
    connections: () => new Promise((resolve) => app.server.getConnections((error, count) => resolve(error ? 0 : count))),
    liveSubscribers: () => gaugeValue(requestMetrics.liveSubscribers),
    longPolls: () => gaugeValue(requestMetrics.longPolls),
    sampleIntervalMs: limits.statsSampleIntervalMs,
  });
  await app.register(statsRoutes, { stats, historyPointsMax: limits.statsHistorySamples });
  if (config.console) await app.register(consoleRoutes, { dir: options.consoleDir ?? consoleBuildDir() });
  await app.register(topicRoutes, { topics, quotas: security.quotas });
  const produce = new ProduceService(topics, metrics, stores.producerIds, subscriberCounts);
  const fetcher = new FetchService(topics, metrics, limits, security.quotas);
  await app.register(produceRoutes, { produce, limits, quotas: security.quotas });
  await app.register(producerRoutes, { producerIds: stores.producerIds });
  await app.register(fetchRoutes, { fetcher, quotas: security.quotas });
  await app.register(offsetRoutes, { topics });
  topics.onChange((event, topic) => {
    if (event === 'deleted') appends.closed(topic);
  });
  await app.register(liveRoutes, { topics, registry: live, metrics, limits, appends });
  await app.register(streamRoutes, { streams: new StreamService(topics, metrics, limits), limits, live: { registry: live, metrics }, quotas: security.quotas });
  await app.register(livePatternRoutes, { topics, registry: live, metrics, limits, appends, counts: subscriberCounts });
  await app.register(groupRoutes, { groups });
  const queues = new QueueService(topics, stores.queues, undefined, limits);
  await app.register(queueRoutes, { queues, redriveRecordsMax: limits.redriveRecordsMax, quotas: security.quotas });
  await app.register(queueSessionRoutes, { queues, quotas: security.quotas, limits });
  // Secure cookies over https only: a Secure cookie would never come back over http.
  await app.register(sessionRoutes, { authenticator: security.authenticator, secureCookies: tlsOptions !== null });
  await app.register(adminCredentialRoutes, security);
  await app.register(adminAclRoutes, security);
  metrics.attach({ groupLag: (seriesMax) => groups.lagSamples(seriesMax), queueDepths: () => queues.depths(), openConnections: () => connections.open });
  topics.onChange((event, topic) => {
    if (event === 'deleted') requestMetrics.forgetTopic(topic);
  });
  await app.ready();
  const kafkaPort = options.kafkaOnFreePort ? 0 : config.kafkaPort;
  const cluster = new KafkaCluster(stores.clusterId, topics);
  const kafka = kafkaOn
    ? new KafkaListener(
        { topics, produce, fetcher, cluster, groups, classicGroups, producerIds: stores.producerIds, autoCreateTopics: config.kafkaAutoCreateTopics, limits, brokerFlush: config.flush, log, security },
        tlsOptions && kafkaUsesTls(config) ? tlsOptions : null,
      )
    : null;
  const tlsServers = tlsFiles === null ? null : new TlsServers(config, tlsFiles, log);
  if (tlsServers) tlsServers.add(app.server as unknown as TlsServer);
  if (tlsServers && kafka?.tlsServer) tlsServers.add(kafka.tlsServer);

  let closed: Promise<void> | null = null;
  return {
    app,
    logs,
    topics,
    routes,
    servedRoutes,
    async listen() {
      await app.listen({ host: config.host, port: config.port });
      stopWarming = validators.warm(DATA_PATH_ROUTES);
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      const kafkaAddress = kafka ? await kafka.listen(config.kafkaHost, kafkaPort) : null;
      if (kafkaAddress) cluster.advertised = config.kafkaAdvertisedListener ? parseHostPort(config.kafkaAdvertisedListener) : kafkaAddress;
      return { host: config.host, port, url: `${tlsOptions ? 'https' : 'http'}://${config.host}:${port}`, kafka: kafkaAddress };
    },
    reloadTls() {
      if (tlsServers === null) {
        log.warn('TLS reload asked for, but TLS is off (no tlsCert)');
        return false;
      }
      return tlsServers.reload();
    },
    async reset() {
      // Groups first: each deleted topic would otherwise recompute every group's assignment.
      groups.deleteAll();
      await topics.deleteAll();
    },
    close() {
      closed ??= (async () => {
        shuttingDown = true;
        stopWarming();
        clearInterval(sweep);
        traffic.stop();
        clearInterval(retention);
        await stopTemporarySweep();
        queues.close();
        await kafka?.close();
        classicGroups.close();
        await app.close();
        await docs.close();
        await logs.close();
        queues.flush();
        db.close();
      })();
      return closed;
    },
  };
}

/** fastify takes a logger's options as `logger` and a pino logger itself as `loggerInstance`. */
function loggerOption(logger: BuildOptions['logger']): { logger: boolean | Record<string, unknown> } | { loggerInstance: FastifyBaseLogger } {
  const isInstance = typeof logger === 'object' && typeof (logger as Partial<FastifyBaseLogger>).child === 'function';
  return isInstance ? { loggerInstance: logger as FastifyBaseLogger } : { logger: (logger as boolean | Record<string, unknown> | undefined) ?? false };
}
