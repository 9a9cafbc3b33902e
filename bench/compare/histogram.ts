/** Latency distributions in HdrHistogram (hdr-histogram-js), recorded in microseconds, summarized in ms. */
import { build, type Histogram } from 'hdr-histogram-js';

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export class LatencyRecorder {
  private readonly histogram: Histogram = build({ lowestDiscernibleValue: 1, highestTrackableValue: 10 * 60 * 1e6, numberOfSignificantValueDigits: 3 });

  /** Records a latency in ms (negative values, from a stamp in the future, count as 0). */
  record(ms: number, count = 1): void {
    const micros = Math.min(10 * 60 * 1e6, Math.max(0, Math.round(ms * 1000)));
    if (count === 1) this.histogram.recordValue(micros);
    else this.histogram.recordValueWithCount(micros, count);
  }

  summary(): LatencySummary | null {
    const h = this.histogram;
    if (h.totalCount === 0) return null;
    const ms = (micros: number) => micros / 1000;
    return { count: h.totalCount, p50Ms: ms(h.getValueAtPercentile(50)), p99Ms: ms(h.getValueAtPercentile(99)), p999Ms: ms(h.getValueAtPercentile(99.9)), maxMs: ms(h.maxValue) };
  }
}
