/**
 * Metrics recorded on every request, cheaply. prom-client builds, validates and hashes a labels
 * object on every observe() and inc() (measured: ~5 µs for the request-latency histogram alone, a
 * tenth of a one-record produce). These record into plain numbers found by a string key, and
 * prom-client still does the exposition:
 *   - SeriesCounter keeps sums per label value and hands them to a prom-client Counter when scraped;
 *   - SeriesHistogram keeps bucket counts per series and is read by the Registry like any metric.
 */
import { Counter, type Registry } from 'prom-client';

export class SeriesCounter {
  private readonly pending = new Map<string, number>();
  /** Sums since start, never drained by a scrape: /v1/stats computes rates from them (broker/stats/). */
  private readonly sums = new Map<string, number>();
  private readonly counter: Counter;
  private readonly label: string;

  constructor(options: { name: string; help: string; label: string; registry: Registry }) {
    const { pending } = this;
    const { label } = options;
    this.label = label;
    this.counter = new Counter({
      name: options.name,
      help: options.help,
      labelNames: [label],
      registers: [options.registry],
      collect() {
        for (const [value, by] of pending) {
          pending.delete(value);
          this.inc({ [label]: value }, by);
        }
      },
    });
  }

  inc(labelValue: string, by = 1): void {
    // Checked here, as prom-client would: a bad sum found at scrape time would fail every scrape.
    if (!Number.isFinite(by) || by < 0) throw new RangeError(`a counter increases by a finite, non-negative amount, not ${by}`);
    this.pending.set(labelValue, (this.pending.get(labelValue) ?? 0) + by);
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
    this.pending.delete(labelValue);
    this.counter.remove({ [this.label]: labelValue });
  }
}

interface Series {
  labels: Record<string, string>;
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  counts: Float64Array;
  sum: number;
  count: number;
}

interface ExportedValue {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

export class SeriesHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    // The Registry reads any object with name, help, type and get() (prom-client's own metrics are such objects).
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

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

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: ExportedValue[] }> {
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
