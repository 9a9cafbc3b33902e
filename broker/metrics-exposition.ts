/**
 * The Prometheus text of one broker's metrics, written by prom-client. Loaded at a broker's first
 * scrape (broker/metrics.ts): prom-client and the OpenTelemetry API it requires are ~90 modules an
 * idle broker does not need (issue 22: idle memory).
 *
 * The metrics recorded as the broker runs (metric-series.ts) are registered as they are; the
 * gauges below are set from the logs and services at each scrape (docs/http-api.md lists them).
 */
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { LogManager } from '../storage/index.js';
import type { LagSample } from './groups/group-service.js';
import type { ReadableMetric } from './metric-series.js';
import type { QueueDepth } from './queues/queue-service.js';

const PARTITION_LABELS = ['topic', 'partition'];
const LAG_LABELS = ['group', 'topic', 'partition'];
const QUEUE_LABELS = ['topic', 'queue'];

/** prom-client's process CPU counters, which count from their creation (at the first scrape). */
const CPU_COUNTERS = {
  user: 'spool_process_process_cpu_user_seconds_total',
  system: 'spool_process_process_cpu_system_seconds_total',
  total: 'spool_process_process_cpu_seconds_total',
} as const;

/**
 * prom-client's process metrics (CPU, memory, event-loop lag, GC) describe the process, not a
 * broker: collected once per process into one registry that every broker's scrape appends.
 * Collected per broker, each broker ever started left a GC observer and an event-loop histogram
 * running, holding its registry and through its gauges the whole broker: ~0.7 MB kept per start
 * of an embedded broker (bench:embedded's heap growth over 50 starts). Started at the first scrape
 * of the process, so an unscraped broker runs neither; the CPU counters are credited with the CPU
 * time the process spent before, so they still count from the process's start. GC durations and
 * event-loop lag are observed from the first scrape on.
 */
let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (processRegistry === null) {
    const registry = new Registry();
    const before = process.cpuUsage();
    collectDefaultMetrics({ register: registry, prefix: 'spool_process_' });
    const credit = (name: string, micros: number) => (registry.getSingleMetric(name) as { inc(by: number): void } | undefined)?.inc(micros / 1e6);
    credit(CPU_COUNTERS.user, before.user);
    credit(CPU_COUNTERS.system, before.system);
    credit(CPU_COUNTERS.total, before.user + before.system);
    processRegistry = registry;
  }
  return processRegistry;
}

export class MetricsExposition {
  private readonly registry = new Registry();
  readonly contentType: string = this.registry.contentType;
  private readonly gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [this.registry] });
  private readonly partitions: Gauge;
  private readonly openConnections: Gauge;
  private readonly partitionBytes: Gauge;
  private readonly highWatermark: Gauge;
  private readonly logStartOffset: Gauge;
  private readonly segments: Gauge;
  private readonly lagRecords: Gauge;
  private readonly lagSeconds: Gauge;
  private readonly lagOmitted: Gauge;
  private readonly queueAvailable: Gauge;
  private readonly queueInFlight: Gauge;
  private readonly queueDeadLettered: Gauge;
  private readonly queueReceivesWaiting: Gauge;

  constructor(
    recorded: ReadableMetric[],
    private readonly logs: LogManager,
  ) {
    // The Registry reads any object with name, help, type, aggregator and get(), as its own metrics.
    for (const metric of recorded) this.registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
    this.partitions = this.gauge('spool_partitions', 'Partitions open');
    this.openConnections = this.gauge('spool_http_connections', 'Open HTTP connections');
    this.partitionBytes = this.gauge('spool_partition_bytes', 'Bytes of a partition log', PARTITION_LABELS);
    this.highWatermark = this.gauge('spool_partition_high_watermark', 'Offset after the last acknowledged record', PARTITION_LABELS);
    this.logStartOffset = this.gauge('spool_partition_log_start_offset', 'First offset retention kept', PARTITION_LABELS);
    this.segments = this.gauge('spool_partition_segments', 'Segments of a partition log', PARTITION_LABELS);
    this.lagRecords = this.gauge('spool_group_lag_records', 'Records a consumer group has not consumed (committed offset to high watermark)', LAG_LABELS);
    this.lagSeconds = this.gauge('spool_group_lag_seconds', 'Age of the oldest record a consumer group has not consumed (0 when caught up)', LAG_LABELS);
    this.lagOmitted = this.gauge('spool_group_lag_series_omitted', 'Group/partition lag series left out past metricsLagSeriesMax');
    this.queueAvailable = this.gauge('spool_queue_available', 'Messages of a queue waiting for a worker (queue depth)', QUEUE_LABELS);
    this.queueInFlight = this.gauge('spool_queue_in_flight', 'Messages of a queue leased to workers and not yet settled', QUEUE_LABELS);
    this.queueDeadLettered = this.gauge('spool_queue_dead_lettered', 'Messages of a queue moved to its dead-letter topic', QUEUE_LABELS);
    this.queueReceivesWaiting = this.gauge('spool_queue_receives_waiting', 'Receives of a queue long-polling for a message', QUEUE_LABELS);
    new Gauge({
      name: 'spool_open_segment_files',
      help: 'Segment file descriptors held open (bounded by the file cache)',
      registers: [this.registry],
      collect() {
        this.set(logs.cache.openFiles);
      },
    });
  }

  /** This broker's metrics, then the process's. */
  async text(): Promise<string> {
    const own = await this.registry.metrics();
    return `${own.endsWith('\n') ? own : `${own}\n`}${await processMetrics().metrics()}`;
  }

  refreshPartitions(): void {
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

  refreshGroups({ samples, omitted }: { samples: LagSample[]; omitted: number }): void {
    this.lagRecords.reset();
    this.lagSeconds.reset();
    for (const sample of samples) {
      const labels = { group: sample.group, topic: sample.topic, partition: String(sample.partition) };
      this.lagRecords.set(labels, sample.lag);
      this.lagSeconds.set(labels, sample.lagSeconds);
    }
    this.lagOmitted.set(omitted);
  }

  refreshQueues(openConnections: number, depths: QueueDepth[]): void {
    this.openConnections.set(openConnections);
    for (const gauge of [this.queueAvailable, this.queueInFlight, this.queueDeadLettered, this.queueReceivesWaiting]) gauge.reset();
    for (const depth of depths) {
      const labels = { topic: depth.topic, queue: depth.name };
      this.queueAvailable.set(labels, depth.available);
      this.queueInFlight.set(labels, depth.inFlight);
      this.queueDeadLettered.set(labels, depth.deadLettered);
      this.queueReceivesWaiting.set(labels, depth.receivesWaiting);
    }
  }
}
