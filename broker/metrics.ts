/**
 * Prometheus metrics (prom-client, served at GET /metrics). One registry per broker instance, so
 * tests can run several brokers in one process.
 *
 * Counters per topic are recorded as traffic flows and dropped with their topic. Gauges about
 * partitions, groups and queues are computed from the logs and services at each scrape (scrape()),
 * before the registry is read: never kept in step by hand, never one scrape late, and a deleted
 * topic's series are gone at the next scrape. Their cardinality is bounded by the caps on topics,
 * partitions, groups and queues, and group lag by metricsLagSeriesMax.
 */
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { LogManager } from '../storage/index.js';
import type { LagSample } from './groups/group-service.js';
import { SeriesCounter, SeriesHistogram } from './metric-series.js';
import type { QueueDepth } from './queues/queue-service.js';

const NO_LABELS = () => ({});
const PARTITION_LABELS = ['topic', 'partition'];
const LAG_LABELS = ['group', 'topic', 'partition'];
const QUEUE_LABELS = ['topic', 'queue'];

/**
 * prom-client's process metrics (CPU, memory, event-loop lag, GC) describe the process, not a
 * broker: collected once per process into one registry that every broker's scrape appends.
 * Collected per broker, each broker ever started left a GC observer and an event-loop histogram
 * running, holding its registry and through its gauges the whole broker: ~0.7 MB kept per start
 * of an embedded broker (bench:embedded's heap growth over 50 starts).
 */
let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (processRegistry === null) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: 'spool_process_' });
  }
  return processRegistry;
}

/** Where the scrape-time gauges come from (the services are built after the metrics). */
export interface ScrapeSources {
  groupLag(seriesMax: number): Promise<{ samples: LagSample[]; omitted: number }>;
  queueDepths(): QueueDepth[];
  openConnections(): number;
}

export class BrokerMetrics {
  readonly registry = new Registry();
  // Recorded on every produce, fetch and request: see metric-series.ts for why not prom-client's own.
  readonly recordsIn = new SeriesCounter({ name: 'spool_records_in_total', help: 'Records appended', label: 'topic', registry: this.registry });
  readonly bytesIn = new SeriesCounter({ name: 'spool_bytes_in_total', help: 'Batch bytes appended', label: 'topic', registry: this.registry });
  readonly recordsOut = new SeriesCounter({ name: 'spool_records_out_total', help: 'Records served by fetches and live tails', label: 'topic', registry: this.registry });
  readonly bytesOut = new SeriesCounter({ name: 'spool_bytes_out_total', help: 'Batch bytes served', label: 'topic', registry: this.registry });
  private readonly requestSeconds = new SeriesHistogram(
    'spool_http_request_duration_seconds',
    'HTTP request latency by route and status',
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    this.registry,
  );
  private readonly appendSeconds = new SeriesHistogram(
    'spool_append_duration_seconds',
    'Time from append to acknowledgement (includes the group-commit fdatasync when flush=always)',
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    this.registry,
  );
  readonly fsyncSeconds = new Histogram({
    name: 'spool_fdatasync_duration_seconds',
    help: 'fdatasync latency of segment files (one per group commit with flush=always)',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly liveSubscribers = new Gauge({ name: 'spool_live_subscribers', help: 'Open live (SSE) subscriptions', registers: [this.registry] });
  readonly longPolls = new Gauge({ name: 'spool_long_polls_waiting', help: 'Fetches waiting for data', registers: [this.registry] });

  private readonly gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [this.registry] });
  private readonly partitions = this.gauge('spool_partitions', 'Partitions open');
  private readonly openConnections = this.gauge('spool_http_connections', 'Open HTTP connections');
  private readonly partitionBytes = this.gauge('spool_partition_bytes', 'Bytes of a partition log', PARTITION_LABELS);
  private readonly highWatermark = this.gauge('spool_partition_high_watermark', 'Offset after the last acknowledged record', PARTITION_LABELS);
  private readonly logStartOffset = this.gauge('spool_partition_log_start_offset', 'First offset retention kept', PARTITION_LABELS);
  private readonly segments = this.gauge('spool_partition_segments', 'Segments of a partition log', PARTITION_LABELS);
  private readonly lagRecords = this.gauge('spool_group_lag_records', 'Records a consumer group has not consumed (committed offset to high watermark)', LAG_LABELS);
  private readonly lagSeconds = this.gauge('spool_group_lag_seconds', 'Age of the oldest record a consumer group has not consumed (0 when caught up)', LAG_LABELS);
  private readonly lagOmitted = this.gauge('spool_group_lag_series_omitted', 'Group/partition lag series left out past metricsLagSeriesMax');
  private readonly queueAvailable = this.gauge('spool_queue_available', 'Messages of a queue waiting for a worker (queue depth)', QUEUE_LABELS);
  private readonly queueInFlight = this.gauge('spool_queue_in_flight', 'Messages of a queue leased to workers and not yet settled', QUEUE_LABELS);
  private readonly queueDeadLettered = this.gauge('spool_queue_dead_lettered', 'Messages of a queue moved to its dead-letter topic', QUEUE_LABELS);
  private readonly queueReceivesWaiting = this.gauge('spool_queue_receives_waiting', 'Receives of a queue long-polling for a message', QUEUE_LABELS);
  private sources: ScrapeSources | null = null;

  constructor(
    private readonly logs: LogManager,
    private readonly lagSeriesMax: number,
  ) {
    this.appendSeconds.start('', {});
    processMetrics();
    new Gauge({
      name: 'spool_open_segment_files',
      help: 'Segment file descriptors held open (bounded by the file cache)',
      registers: [this.registry],
      collect() {
        this.set(logs.cache.openFiles);
      },
    });
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.requestSeconds.observe(`${method} ${route} ${status}`, () => ({ method, route, status: String(status) }), seconds);
  }

  observeAppend(seconds: number): void {
    this.appendSeconds.observe('', NO_LABELS, seconds);
  }

  attach(sources: ScrapeSources): void {
    this.sources = sources;
  }

  /** A topic was deleted: its counters go with it (gauges follow at the next scrape). */
  forgetTopic(topic: string): void {
    for (const counter of [this.recordsIn, this.bytesIn, this.recordsOut, this.bytesOut]) counter.remove(topic);
  }

  /** The Prometheus text, with every scrape-time gauge computed now. */
  async scrape(): Promise<string> {
    this.refreshPartitions();
    await this.refreshGroups();
    this.refreshQueues();
    const own = await this.registry.metrics();
    return `${own.endsWith('\n') ? own : `${own}\n`}${await processMetrics().metrics()}`;
  }

  private refreshPartitions(): void {
    for (const gauge of [this.partitionBytes, this.highWatermark, this.logStartOffset, this.segments]) gauge.reset();
    const all = this.logs.allPartitions();
    for (const log of all) {
      const stats = log.stats();
      const labels = { topic: log.topic, partition: String(log.partition) };
      this.partitionBytes.set(labels, stats.sizeBytes);
      this.highWatermark.set(labels, stats.highWatermark);
      this.logStartOffset.set(labels, stats.logStartOffset);
      this.segments.set(labels, stats.segments);
    }
    this.partitions.set(all.length);
  }

  private async refreshGroups(): Promise<void> {
    if (!this.sources) return;
    const { samples, omitted } = await this.sources.groupLag(this.lagSeriesMax);
    this.lagRecords.reset();
    this.lagSeconds.reset();
    for (const sample of samples) {
      const labels = { group: sample.group, topic: sample.topic, partition: String(sample.partition) };
      this.lagRecords.set(labels, sample.lag);
      this.lagSeconds.set(labels, sample.lagSeconds);
    }
    this.lagOmitted.set(omitted);
  }

  private refreshQueues(): void {
    if (!this.sources) return;
    this.openConnections.set(this.sources.openConnections());
    for (const gauge of [this.queueAvailable, this.queueInFlight, this.queueDeadLettered, this.queueReceivesWaiting]) gauge.reset();
    for (const depth of this.sources.queueDepths()) {
      const labels = { topic: depth.topic, queue: depth.name };
      this.queueAvailable.set(labels, depth.available);
      this.queueInFlight.set(labels, depth.inFlight);
      this.queueDeadLettered.set(labels, depth.deadLettered);
      this.queueReceivesWaiting.set(labels, depth.receivesWaiting);
    }
  }
}
