/**
 * A live time chart (uPlot: a canvas chart of ~50 KB that redraws thousands of points in a
 * millisecond, so a chart updated every two seconds costs the page nothing). The chart is created
 * once per series set and fed new data with setData; its width follows its container.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  color: string;
}

export interface TimeChartProps {
  title: string;
  series: ChartSeries[];
  /** [times in seconds since epoch, ...one array per series]. */
  data: number[][];
  format: (value: number) => string;
}

/** Sets the data; a single sample has no span, so the minute before it is shown (not uPlot's guess of years). */
function show(plot: uPlot, data: number[][]): void {
  plot.setData(data as uPlot.AlignedData);
  const times = data[0] ?? [];
  if (times.length === 1) plot.setScale('x', { min: times[0]! - 60, max: times[0]! });
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

export function TimeChart({ title, series, data, format }: TimeChartProps) {
  const holder = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const key = series.map((entry) => entry.label).join('|');

  useEffect(() => {
    const element = holder.current!;
    const axis = { stroke: cssVar('--muted'), grid: { stroke: cssVar('--grid'), width: 1 }, ticks: { stroke: cssVar('--grid'), width: 1 } };
    const plot = new uPlot(
      {
        width: Math.max(200, element.clientWidth),
        height: 180,
        legend: { show: true, live: false },
        cursor: { drag: { x: false, y: false } },
        scales: { y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        axes: [axis, { ...axis, size: 70, values: (_u, ticks) => ticks.map(format) }],
        series: [{}, ...series.map((entry) => ({ label: entry.label, stroke: entry.color, width: 2, points: { size: 4 }, value: (_u: uPlot, value: number | null) => (value === null ? '—' : format(value)) }))],
      },
      [[]],
      element,
    );
    show(plot, data);
    chart.current = plot;
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(200, element.clientWidth), height: 180 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
      chart.current = null;
    };
  }, [key]);

  useEffect(() => {
    if (chart.current) show(chart.current, data);
  }, [data]);

  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={holder} role="img" aria-label={`${title}: chart over time`} />
    </figure>
  );
}
