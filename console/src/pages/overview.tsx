/** Overview: the broker at a glance, with the last minutes of traffic as live charts. */
import { useMemo, useRef } from 'preact/hooks';
import { api, type GroupSummary, type HistoryPoint, type Stats } from '../api.js';
import { TimeChart } from '../chart.js';
import { Card, ErrorNote, Loading, PageHeader } from '../components.js';
import { bytes, count, duration, megabytesPerSec, rate } from '../format.js';
import { usePoll } from '../hooks.js';
import { GroupTable } from './groups.js';

const POLL_MS = 2000;
const KEPT_POINTS = 300;

/** Keeps the history across polls: the first asks for every kept point, later ones for the newest few. */
function useStats() {
  const points = useRef<HistoryPoint[]>([]);
  const polled = usePoll(async (signal) => {
    const stats = await api<Stats>(`/v1/stats?history=${points.current.length === 0 ? KEPT_POINTS : 10}`, { signal });
    const last = points.current.at(-1)?.at ?? 0;
    points.current = [...points.current, ...stats.history.points.filter((point) => point.at > last)].slice(-KEPT_POINTS);
    return { stats, points: points.current };
  }, POLL_MS, []);
  return polled;
}

export function Overview() {
  const { data, error } = useStats();
  const groups = usePoll((signal) => api<{ groups: GroupSummary[] }>('/v1/groups', { signal }), POLL_MS, []);
  const series = useMemo(() => {
    const points = data?.points ?? [];
    const at = points.map((point) => point.at / 1000);
    return {
      records: [at, points.map((point) => point.recordsInPerSec), points.map((point) => point.recordsOutPerSec)],
      megabytes: [at, points.map((point) => point.bytesInPerSec), points.map((point) => point.bytesOutPerSec)],
      fsync: [at, points.map((point) => point.fsyncMeanMs), points.map((point) => point.fsyncMaxMs)],
    };
  }, [data]);

  if (!data) return error ? <ErrorNote error={error} /> : <Loading what="broker stats" />;
  const { stats } = data;
  const laggiest = [...(groups.data?.groups ?? [])].sort((a, b) => b.totalLag - a.totalLag).slice(0, 5);
  return (
    <>
      <PageHeader title="Overview" />
      <ErrorNote error={error} />
      <section class="cards" aria-label="Broker">
        <Card label="Version" value={stats.version} detail={`data in ${stats.dataDir}`} />
        <Card label="Uptime" value={duration(stats.uptimeMs)} detail={`since ${stats.startedAt.slice(0, 19).replace('T', ' ')}`} />
        <Card label="Data directory" value={bytes(stats.dataDirBytes)} detail={`${stats.topics.length} topics`} />
        <Card label="Free disk" value={bytes(stats.disk.freeBytes)} detail={`of ${bytes(stats.disk.totalBytes)}`} />
        <Card label="Produce" value={rate(stats.rates.recordsInPerSec)} detail={megabytesPerSec(stats.rates.bytesInPerSec)} />
        <Card label="Fetch" value={rate(stats.rates.recordsOutPerSec)} detail={megabytesPerSec(stats.rates.bytesOutPerSec)} />
        <Card label="fsync latency" value={`${stats.fsync.meanMs.toFixed(2)} ms`} detail={`mean; max ${stats.fsync.maxMs.toFixed(2)} ms, ${count(stats.fsync.count)} syncs`} />
        <Card label="Connections" value={count(stats.connections)} detail={`${stats.liveSubscribers} live tails, ${stats.longPolls} long-polls`} />
      </section>
      <section class="charts" aria-label="Traffic">
        <TimeChart title="Records per second" series={[{ label: 'produced', color: '#3b82f6' }, { label: 'fetched', color: '#10b981' }]} data={series.records} format={(value) => count(value)} />
        <TimeChart title="Bytes per second" series={[{ label: 'produced', color: '#3b82f6' }, { label: 'fetched', color: '#10b981' }]} data={series.megabytes} format={(value) => bytes(Math.round(value))} />
        <TimeChart title="fsync latency (ms)" series={[{ label: 'mean', color: '#f59e0b' }, { label: 'max', color: '#ef4444' }]} data={series.fsync} format={(value) => value.toFixed(2)} />
      </section>
      <section aria-labelledby="lag-title">
        <h2 id="lag-title">Groups with the most lag</h2>
        {laggiest.length === 0 ? (
          <p class="muted">No consumer groups yet.</p>
        ) : (
          <GroupTable groups={laggiest} label="Groups with the most lag" />
        )}
      </section>
    </>
  );
}
