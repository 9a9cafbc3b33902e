/**
 * Rates for GET /v1/stats and the console's charts. Every `statsSampleIntervalMs` the per-topic
 * sums of the traffic counters (broker/metrics.ts) are snapshotted:
 *   - the broker-wide rate of each interval goes into a ring of `statsHistorySamples` points
 *     (with the fdatasyncs of that interval), so a page opened now draws the last minutes at once;
 *   - per-topic rates are the difference between the newest and the oldest of the last
 *     `statsRateWindowSamples` snapshots.
 * Memory is bounded: the ring by its length, the snapshots by the number of topics (sums of
 * deleted topics are forgotten).
 */
import type { SeriesCounter } from '../metric-series.js';

export const TRAFFIC_FIELDS = ['recordsIn', 'bytesIn', 'recordsOut', 'bytesOut'] as const;
type TrafficField = (typeof TRAFFIC_FIELDS)[number];

export type TrafficCounters = Record<TrafficField, SeriesCounter>;

export interface TrafficRates {
  recordsInPerSec: number;
  bytesInPerSec: number;
  recordsOutPerSec: number;
  bytesOutPerSec: number;
}

export interface HistoryPoint extends TrafficRates {
  /** End of the interval, ms since epoch. */
  at: number;
  fsyncs: number;
  fsyncMeanMs: number;
  fsyncMaxMs: number;
}

interface Snapshot {
  atMs: number;
  /** Per topic, the sums in TRAFFIC_FIELDS order. */
  sums: Map<string, number[]>;
}

export interface SamplerLimits {
  statsSampleIntervalMs: number;
  statsHistorySamples: number;
  statsRateWindowSamples: number;
}

const ZERO_RATES: TrafficRates = Object.freeze({ recordsInPerSec: 0, bytesInPerSec: 0, recordsOutPerSec: 0, bytesOutPerSec: 0 });

function rates(newer: number[], older: number[] | undefined, seconds: number): TrafficRates {
  // A sum that went down is a topic deleted and created again: counted from 0, as Prometheus's
  // rate() treats a counter reset. Never a negative rate.
  const delta = (i: number) => (newer[i]! >= (older?.[i] ?? 0) ? newer[i]! - (older?.[i] ?? 0) : newer[i]!);
  const rate = (i: number) => (seconds > 0 ? delta(i) / seconds : 0);
  return { recordsInPerSec: rate(0), bytesInPerSec: rate(1), recordsOutPerSec: rate(2), bytesOutPerSec: rate(3) };
}

export class TrafficSampler {
  private readonly snapshots: Snapshot[] = [];
  private readonly points: HistoryPoint[] = [];
  private fsync = { count: 0, sumMs: 0, maxMs: 0 };
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly counters: TrafficCounters,
    private readonly topicNames: () => readonly string[],
    private readonly limits: SamplerLimits,
  ) {}

  start(): void {
    this.sample(Date.now());
    this.timer = setInterval(() => this.sample(Date.now()), this.limits.statsSampleIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  observeFsync(seconds: number): void {
    const ms = seconds * 1000;
    this.fsync.count++;
    this.fsync.sumMs += ms;
    if (ms > this.fsync.maxMs) this.fsync.maxMs = ms;
  }

  /** Takes one snapshot (the timer calls it; tests call it with their own clock). */
  sample(atMs: number): void {
    this.forgetDeletedTopics();
    const sums = new Map<string, number[]>();
    for (const [i, field] of TRAFFIC_FIELDS.entries()) {
      for (const [topic, sum] of this.counters[field].totals()) {
        let row = sums.get(topic);
        if (!row) sums.set(topic, (row = [0, 0, 0, 0]));
        row[i] = sum;
      }
    }
    const previous = this.snapshots.at(-1);
    this.snapshots.push({ atMs, sums });
    if (this.snapshots.length > this.limits.statsRateWindowSamples + 1) this.snapshots.shift();
    if (previous) this.pushPoint(previous, { atMs, sums });
  }

  private pushPoint(previous: Snapshot, current: Snapshot): void {
    const seconds = (current.atMs - previous.atMs) / 1000;
    const total: TrafficRates = { ...ZERO_RATES };
    for (const [topic, row] of current.sums) {
      const topicRates = rates(row, previous.sums.get(topic), seconds);
      for (const key of Object.keys(total) as Array<keyof TrafficRates>) total[key] += topicRates[key];
    }
    const { count, sumMs, maxMs } = this.fsync;
    this.fsync = { count: 0, sumMs: 0, maxMs: 0 };
    this.points.push({ at: current.atMs, ...total, fsyncs: count, fsyncMeanMs: count > 0 ? sumMs / count : 0, fsyncMaxMs: maxMs });
    if (this.points.length > this.limits.statsHistorySamples) this.points.shift();
  }

  private forgetDeletedTopics(): void {
    const live = new Set(this.topicNames());
    for (const field of TRAFFIC_FIELDS) {
      for (const topic of [...this.counters[field].totals().keys()]) if (!live.has(topic)) this.counters[field].forget(topic);
    }
  }

  /** The last `count` points, oldest first. */
  history(count: number): HistoryPoint[] {
    return count <= 0 ? [] : this.points.slice(-count);
  }

  /** A topic's rates over the rate window (zero before two snapshots exist). */
  topicRates(topic: string): TrafficRates {
    const newest = this.snapshots.at(-1);
    const oldest = this.snapshots[0];
    if (!newest || !oldest || newest === oldest) return ZERO_RATES;
    const row = newest.sums.get(topic);
    return row ? rates(row, oldest.sums.get(topic), (newest.atMs - oldest.atMs) / 1000) : ZERO_RATES;
  }

  /** Broker-wide rates over the rate window. */
  totalRates(): TrafficRates {
    const total: TrafficRates = { ...ZERO_RATES };
    for (const topic of this.snapshots.at(-1)?.sums.keys() ?? []) {
      const topicRates = this.topicRates(topic);
      for (const key of Object.keys(total) as Array<keyof TrafficRates>) total[key] += topicRates[key];
    }
    return total;
  }
}
