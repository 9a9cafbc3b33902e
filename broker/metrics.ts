/**
 * Prometheus metrics (prom-client, served at GET /metrics). One registry per broker instance, so
 * tests can run several brokers in one process. Gauges about partitions are collected when scraped,
 * from the logs themselves, never kept in step by hand.
 */
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { LogManager } from '../storage/index.js';
import { SeriesCounter, SeriesHistogram } from './metric-series.js';

const NO_LABELS = () => ({});

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
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.requestSeconds.observe(`${method} ${route} ${status}`, () => ({ method, route, status: String(status) }), seconds);
  }

  observeAppend(seconds: number): void {
    this.appendSeconds.observe('', NO_LABELS, seconds);
  }

  readonly liveSubscribers = new Gauge({ name: 'spool_live_subscribers', help: 'Open live (SSE) subscriptions', registers: [this.registry] });
  readonly longPolls = new Gauge({ name: 'spool_long_polls_waiting', help: 'Fetches waiting for data', registers: [this.registry] });

  constructor(logs: LogManager) {
    this.appendSeconds.start('', {});
    collectDefaultMetrics({ register: this.registry, prefix: 'spool_process_' });
    const partitionBytes = new Gauge({ name: 'spool_partition_bytes', help: 'Bytes of a partition log', labelNames: ['topic', 'partition'], registers: [this.registry] });
    const highWatermark = new Gauge({ name: 'spool_partition_high_watermark', help: 'Offset after the last acknowledged record', labelNames: ['topic', 'partition'], registers: [this.registry] });
    const segments = new Gauge({ name: 'spool_partition_segments', help: 'Segments of a partition log', labelNames: ['topic', 'partition'], registers: [this.registry] });
    new Gauge({
      name: 'spool_open_segment_files',
      help: 'Segment file descriptors held open (bounded by the file cache)',
      registers: [this.registry],
      collect() {
        this.set(logs.cache.openFiles);
      },
    });
    new Gauge({
      name: 'spool_partitions',
      help: 'Partitions open',
      registers: [this.registry],
      collect() {
        partitionBytes.reset();
        highWatermark.reset();
        segments.reset();
        const all = logs.allPartitions();
        for (const log of all) {
          const stats = log.stats();
          const labels = { topic: log.topic, partition: String(log.partition) };
          partitionBytes.set(labels, stats.sizeBytes);
          highWatermark.set(labels, stats.highWatermark);
          segments.set(labels, stats.segments);
        }
        this.set(all.length);
      },
    });
  }
}
