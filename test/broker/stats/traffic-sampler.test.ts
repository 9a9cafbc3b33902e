/** The traffic sampler on its own clock: exact rates, a bounded history, deleted topics forgotten. */
import { describe, expect, it } from 'vitest';
import { SeriesCounter } from '../../../broker/metric-series.js';
import { TRAFFIC_FIELDS, TrafficSampler, type TrafficCounters } from '../../../broker/stats/traffic-sampler.js';

function counters(): TrafficCounters {
  return Object.fromEntries(TRAFFIC_FIELDS.map((field) => [field, new SeriesCounter({ name: `t_${field}`, help: field, label: 'topic' })])) as TrafficCounters;
}

const limits = { statsSampleIntervalMs: 1000, statsHistorySamples: 3, statsRateWindowSamples: 2 };

describe('TrafficSampler', () => {
  it('answers per-topic and broker-wide rates over the rate window', () => {
    const traffic = counters();
    const sampler = new TrafficSampler(traffic, () => ['a', 'b'], limits);
    sampler.sample(0);
    traffic.recordsIn.inc('a', 1000);
    traffic.bytesIn.inc('a', 100_000);
    traffic.recordsOut.inc('b', 500);
    sampler.sample(1000);
    traffic.recordsIn.inc('a', 3000);
    sampler.sample(2000);
    expect(sampler.topicRates('a')).toEqual({ recordsInPerSec: 2000, bytesInPerSec: 50_000, recordsOutPerSec: 0, bytesOutPerSec: 0 });
    expect(sampler.topicRates('b').recordsOutPerSec).toBe(250);
    expect(sampler.totalRates().recordsInPerSec).toBe(2000);
    expect(sampler.history(10).map((point) => point.recordsInPerSec)).toEqual([1000, 3000]);
  });

  it('keeps at most statsHistorySamples points, oldest dropped first', () => {
    const sampler = new TrafficSampler(counters(), () => [], limits);
    for (let second = 0; second <= 10; second++) sampler.sample(second * 1000);
    expect(sampler.history(100).map((point) => point.at)).toEqual([8000, 9000, 10_000]);
    expect(sampler.history(1).map((point) => point.at)).toEqual([10_000]);
    expect(sampler.history(0)).toEqual([]);
  });

  it('forgets the sums of deleted topics and never answers a negative rate', () => {
    const traffic = counters();
    let topics = ['a'];
    const sampler = new TrafficSampler(traffic, () => topics, limits);
    traffic.recordsIn.inc('a', 500);
    sampler.sample(0);
    topics = [];
    sampler.sample(1000);
    expect([...traffic.recordsIn.totals().keys()]).toEqual([]);
    topics = ['a']; // created again: counts from zero
    traffic.recordsIn.inc('a', 10);
    sampler.sample(2000);
    expect(sampler.history(10).every((point) => point.recordsInPerSec >= 0)).toBe(true);
    expect(sampler.topicRates('a').recordsInPerSec).toBe(5); // 0 -> 10 over the 2 s window, not 500 -> 10
  });

  it('reports the fdatasyncs of each interval', () => {
    const sampler = new TrafficSampler(counters(), () => [], limits);
    sampler.sample(0);
    sampler.observeFsync(0.001);
    sampler.observeFsync(0.003);
    sampler.sample(1000);
    expect(sampler.history(1)[0]).toMatchObject({ fsyncs: 2, fsyncMeanMs: 2, fsyncMaxMs: 3 });
  });
});
