/**
 * Prometheus metrics (served at GET /metrics). One set per broker instance, so tests can run
 * several brokers in one process.
 *
 * Counters per topic and the latency histograms are recorded as traffic flows (metric-series.ts)
 * and counters are dropped with their topic. Gauges about partitions, groups and queues are
 * computed from the logs and services at each scrape, before the registry is read: never kept in
 * step by hand, never one scrape late, and a deleted topic's series are gone at the next scrape.
 * Their cardinality is bounded by the caps on topics, partitions, groups and queues, and group lag
 * by metricsLagSeriesMax.
 *
 * prom-client, which writes the text, is loaded at the first scrape (metrics-exposition.ts): an
 * idle broker, and most embedded ones, are never scraped (issue 22: idle memory).
 */
import type { LogManager } from '../storage/index.js';
import type { LagSample } from './groups/group-service.js';
import { LevelGauge, type ReadableMetric, SeriesCounter, SeriesHistogram } from './metric-series.js';
import type { MetricsExposition } from './metrics-exposition.js';
import type { QueueDepth } from './queues/queue-service.js';

const NO_LABELS = () => ({});

/** Where the scrape-time gauges come from (the services are built after the metrics). */
export interface ScrapeSources {
  groupLag(seriesMax: number): Promise<{ samples: LagSample[]; omitted: number }>;
  queueDepths(): QueueDepth[];
  openConnections(): number;
}

/** A scrape: the Prometheus text and its content type. */
export interface Scrape {
  contentType: string;
  text: string;
}

export class BrokerMetrics {
  // Recorded on every produce, fetch and request: see metric-series.ts for why not prom-client's own.
  readonly recordsIn = new SeriesCounter({ name: 'spool_records_in_total', help: 'Records appended', label: 'topic' });
  readonly bytesIn = new SeriesCounter({ name: 'spool_bytes_in_total', help: 'Batch bytes appended', label: 'topic' });
  readonly recordsOut = new SeriesCounter({ name: 'spool_records_out_total', help: 'Records served by fetches and live tails', label: 'topic' });
  readonly bytesOut = new SeriesCounter({ name: 'spool_bytes_out_total', help: 'Batch bytes served', label: 'topic' });
  private readonly requestSeconds = new SeriesHistogram(
    'spool_http_request_duration_seconds',
    'HTTP request latency by route and status',
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  );
  private readonly appendSeconds = new SeriesHistogram(
    'spool_append_duration_seconds',
    'Time from append to acknowledgement (includes the group-commit fdatasync when flush=always)',
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  );
  private readonly fsyncSeconds = new SeriesHistogram(
    'spool_fdatasync_duration_seconds',
    'fdatasync latency of segment files (one per group commit with flush=always)',
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  );
  readonly liveSubscribers = new LevelGauge('spool_live_subscribers', 'Open live (SSE) subscriptions');
  readonly longPolls = new LevelGauge('spool_long_polls_waiting', 'Fetches waiting for data');
  private sources: ScrapeSources | null = null;
  private exposition: MetricsExposition | null = null;

  constructor(
    private readonly logs: LogManager,
    private readonly lagSeriesMax: number,
  ) {
    // Shown at zero before the first observation, as prom-client shows a histogram without labels.
    this.appendSeconds.start('', {});
    this.fsyncSeconds.start('', {});
  }

  /** The metrics recorded as the broker runs, in the order they are exposed. */
  recorded(): ReadableMetric[] {
    return [this.recordsIn, this.bytesIn, this.recordsOut, this.bytesOut, this.requestSeconds, this.appendSeconds, this.fsyncSeconds, this.liveSubscribers, this.longPolls];
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.requestSeconds.observe(`${method} ${route} ${status}`, () => ({ method, route, status: String(status) }), seconds);
  }

  observeAppend(seconds: number): void {
    this.appendSeconds.observe('', NO_LABELS, seconds);
  }

  observeFsync(seconds: number): void {
    this.fsyncSeconds.observe('', NO_LABELS, seconds);
  }

  attach(sources: ScrapeSources): void {
    this.sources = sources;
  }

  /** A topic was deleted: its counters go with it (gauges follow at the next scrape). */
  forgetTopic(topic: string): void {
    for (const counter of [this.recordsIn, this.bytesIn, this.recordsOut, this.bytesOut]) counter.remove(topic);
  }

  /** The Prometheus text, with every scrape-time gauge computed now. */
  async scrape(): Promise<Scrape> {
    if (this.exposition === null) {
      const { MetricsExposition } = await import('./metrics-exposition.js');
      this.exposition ??= new MetricsExposition(this.recorded(), this.logs);
    }
    const { exposition } = this;
    exposition.refreshPartitions();
    if (this.sources) {
      exposition.refreshGroups(await this.sources.groupLag(this.lagSeriesMax));
      exposition.refreshQueues(this.sources.openConnections(), this.sources.queueDepths());
    }
    return { contentType: exposition.contentType, text: await exposition.text() };
  }
}
