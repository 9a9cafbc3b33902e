/**
 * Metrics recorded as the broker runs, cheaply, and without prom-client. prom-client builds,
 * validates and hashes a labels object on every observe() and inc() (measured: ~5 µs for the
 * request-latency histogram alone, a tenth of a one-record produce), and loading it (with the
 * OpenTelemetry API it requires, ~90 modules) cost an idle embedded broker 0.8 MB of heap and
 * its share of the young generation's growth (docs/embedded.md). These record into plain numbers
 * found by a string key; each is an object prom-client's Registry reads like its own metrics
 * (name, help, type, aggregator and get()), so prom-client is loaded at the first scrape only
 * (broker/metrics-exposition.ts) and still does the exposition:
 *   - SeriesCounter keeps sums per label value;
 *   - SeriesHistogram keeps bucket counts per series;
 *   - LevelGauge is one number that goes up and down.
 */

/** One value of a metric as prom-client's Registry reads it. */
interface ExportedValue {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

/** What prom-client's Registry reads of a metric (`registerMetric` takes any such object). */
export interface ReadableMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: ExportedValue[] }>;
}

export class SeriesCounter implements ReadableMetric {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  /** The Prometheus series: sums per label value until the value is removed (its topic deleted). */
  private readonly exposed = new Map<string, number>();
  /** Sums since start, for /v1/stats's rates (broker/stats/): forgotten only by the sampler. */
  private readonly sums = new Map<string, number>();
  private readonly label: string;

  constructor(options: { name: string; help: string; label: string }) {
    this.name = options.name;
    this.help = options.help;
    this.label = options.label;
  }

  inc(labelValue: string, by = 1): void {
    // Checked here, as prom-client would: a bad sum found at scrape time would fail every scrape.
    if (!Number.isFinite(by) || by < 0) throw new RangeError(`a counter increases by a finite, non-negative amount, not ${by}`);
    this.exposed.set(labelValue, (this.exposed.get(labelValue) ?? 0) + by);
    this.sums.set(labelValue, (this.sums.get(labelValue) ?? 0) + by);
  }

  /** The sum per label value since start. */
  totals(): ReadonlyMap<string, number> {
    return this.sums;
  }

  /** Drops a label value's sum (its topic was deleted), so the map stays as large as the topics. */
  forget(labelValue: string): void {
    this.sums.delete(labelValue);
  }

  /** Drops a series (its topic was deleted): label values must not pile up for ever. */
  remove(labelValue: string): void {
    this.exposed.delete(labelValue);
  }

  async get() {
    const values = [...this.exposed].map(([labelValue, value]) => ({ labels: { [this.label]: labelValue }, value }));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/** A gauge without labels moved by inc() and dec() (open live subscriptions, waiting long-polls). */
export class LevelGauge implements ReadableMetric {
  readonly type = 'gauge';
  readonly aggregator = 'sum';
  private value = 0;

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(): void {
    this.value++;
  }

  dec(): void {
    this.value--;
  }

  async get() {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: [{ labels: {}, value: this.value }] };
  }
}

interface Series {
  labels: Record<string, string>;
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  counts: Float64Array;
  sum: number;
  count: number;
}

export class SeriesHistogram implements ReadableMetric {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
  ) {}

  /**
   * Records `value` in the series named `key` (one key per label combination); `labels` is called
   * only the first time a key is seen.
   */
  observe(key: string, labels: () => Record<string, string>, value: number): void {
    const series = this.series.get(key) ?? this.start(key, labels());
    let bucket = 0;
    while (bucket < this.buckets.length && value > this.buckets[bucket]!) bucket++;
    series.counts[bucket]!++;
    series.sum += value;
    series.count++;
  }

  /** Shows a series (at zero) before its first observation, as prom-client does for a histogram without labels. */
  start(key: string, labels: Record<string, string>): Series {
    const series = { labels, counts: new Float64Array(this.buckets.length + 1), sum: 0, count: 0 };
    this.series.set(key, series);
    return series;
  }

  async get() {
    const values: ExportedValue[] = [];
    for (const { labels, counts, sum, count } of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le: bound, ...labels }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...labels }, value: count });
      values.push({ metricName: `${this.name}_sum`, labels, value: sum });
      values.push({ metricName: `${this.name}_count`, labels, value: count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.clear();
  }
}
