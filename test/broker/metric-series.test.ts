import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LevelGauge, type ReadableMetric, SeriesCounter, SeriesHistogram } from '../../broker/metric-series.js';

/** A registry reading `metrics`, as broker/metrics-exposition.ts registers them. */
function registryOf(...metrics: ReadableMetric[]): Registry {
  const registry = new Registry();
  for (const metric of metrics) registry.registerMetric(metric as never);
  return registry;
}

describe('metric series (the per-request metrics)', () => {
  it('exposes a histogram exactly as prom-client does for the same observations', async () => {
    const theirs = new Registry();
    const buckets = [0.001, 0.01, 0.1];
    const series = new SeriesHistogram('latency_seconds', 'latency', buckets);
    const ours = registryOf(series);
    const reference = new Histogram({ name: 'latency_seconds', help: 'latency', labelNames: ['route', 'status'], buckets, registers: [theirs] });
    const observations: Array<[string, string, number]> = [['/a', '200', 0.0005], ['/a', '200', 0.001], ['/a', '200', 0.05], ['/b', '404', 3], ['/a', '200', 0.2]];
    for (const [route, status, value] of observations) {
      series.observe(`${route} ${status}`, () => ({ route, status }), value);
      reference.observe({ route, status }, value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('shows a started series at zero before any observation, as prom-client does without labels', async () => {
    const theirs = new Registry();
    const series = new SeriesHistogram('append_seconds', 'append', [0.001, 0.01]);
    series.start('', {});
    const ours = registryOf(series);
    new Histogram({ name: 'append_seconds', help: 'append', buckets: [0.001, 0.01], registers: [theirs] });
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('refuses a counter increment prom-client would refuse, at the call rather than at every scrape', async () => {
    const counter = new SeriesCounter({ name: 'bytes_total', help: 'bytes', label: 'topic' });
    const registry = registryOf(counter);
    expect(() => counter.inc('a', Number.NaN)).toThrow(RangeError);
    expect(() => counter.inc('a', -1)).toThrow(RangeError);
    counter.inc('a', 2);
    expect(await registry.metrics()).toContain('bytes_total{topic="a"} 2');
  });

  it('hands counter sums to prom-client when scraped, and keeps counting after', async () => {
    const counter = new SeriesCounter({ name: 'records_total', help: 'records', label: 'topic' });
    const registry = registryOf(counter);
    counter.inc('a', 3);
    counter.inc('b');
    counter.inc('a', 2);
    expect(await registry.metrics()).toContain('records_total{topic="a"} 5\nrecords_total{topic="b"} 1');
    counter.inc('a', 10);
    expect(await registry.metrics()).toContain('records_total{topic="a"} 15\nrecords_total{topic="b"} 1');
  });

  it('exposes a counter exactly as prom-client does, before and after a label value is removed', async () => {
    const ours = new SeriesCounter({ name: 'records_total', help: 'records', label: 'topic' });
    const theirs = new Registry();
    const reference = new Counter({ name: 'records_total', help: 'records', labelNames: ['topic'], registers: [theirs] });
    expect(await registryOf(ours).metrics()).toBe(await theirs.metrics());
    for (const [topic, by] of [['a', 3], ['b', 1], ['a', 2.5]] as const) {
      ours.inc(topic, by);
      reference.inc({ topic }, by);
    }
    expect(await registryOf(ours).metrics()).toBe(await theirs.metrics());
    ours.remove('a');
    reference.remove({ topic: 'a' });
    expect(await registryOf(ours).metrics()).toBe(await theirs.metrics());
    expect(ours.totals().get('a')).toBe(5.5); // /v1/stats's sums are forgotten by their sampler only
  });

  it('exposes a level gauge exactly as prom-client does a gauge without labels', async () => {
    const ours = new LevelGauge('waiting', 'waiting fetches');
    const theirs = new Registry();
    const reference = new Gauge({ name: 'waiting', help: 'waiting fetches', registers: [theirs] });
    expect(await registryOf(ours).metrics()).toBe(await theirs.metrics());
    for (const step of ['inc', 'inc', 'dec', 'inc'] as const) {
      ours[step]();
      reference[step]();
    }
    expect(await registryOf(ours).metrics()).toBe(await theirs.metrics());
  });
});
