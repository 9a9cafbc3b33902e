import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SeriesCounter, SeriesHistogram } from '../../broker/metric-series.js';

describe('metric series (the per-request metrics)', () => {
  it('exposes a histogram exactly as prom-client does for the same observations', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const buckets = [0.001, 0.01, 0.1];
    const series = new SeriesHistogram('latency_seconds', 'latency', buckets, ours);
    const reference = new Histogram({ name: 'latency_seconds', help: 'latency', labelNames: ['route', 'status'], buckets, registers: [theirs] });
    const observations: Array<[string, string, number]> = [['/a', '200', 0.0005], ['/a', '200', 0.001], ['/a', '200', 0.05], ['/b', '404', 3], ['/a', '200', 0.2]];
    for (const [route, status, value] of observations) {
      series.observe(`${route} ${status}`, () => ({ route, status }), value);
      reference.observe({ route, status }, value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('shows a started series at zero before any observation, as prom-client does without labels', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    new SeriesHistogram('append_seconds', 'append', [0.001, 0.01], ours).start('', {});
    new Histogram({ name: 'append_seconds', help: 'append', buckets: [0.001, 0.01], registers: [theirs] });
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('refuses a counter increment prom-client would refuse, at the call rather than at every scrape', async () => {
    const registry = new Registry();
    const counter = new SeriesCounter({ name: 'bytes_total', help: 'bytes', label: 'topic', registry });
    expect(() => counter.inc('a', Number.NaN)).toThrow(RangeError);
    expect(() => counter.inc('a', -1)).toThrow(RangeError);
    counter.inc('a', 2);
    expect(await registry.metrics()).toContain('bytes_total{topic="a"} 2');
  });

  it('hands counter sums to prom-client when scraped, and keeps counting after', async () => {
    const registry = new Registry();
    const counter = new SeriesCounter({ name: 'records_total', help: 'records', label: 'topic', registry });
    counter.inc('a', 3);
    counter.inc('b');
    counter.inc('a', 2);
    expect(await registry.metrics()).toContain('records_total{topic="a"} 5\nrecords_total{topic="b"} 1');
    counter.inc('a', 10);
    expect(await registry.metrics()).toContain('records_total{topic="a"} 15\nrecords_total{topic="b"} 1');
  });
});
