/**
 * The worst records of a bench/latency-stages.ts run, each with its stages and the stalls
 * (stalls.ts) that each side had while the record was on its way: the tail's causes, one line per
 * incident. A record that was on its way while a worse one already listed was (their spans from
 * scheduled to handled overlap) is the same incident and is skipped.
 */
import type { Stall, StallLog } from './stalls.js';
import { type RecordWay, STAGES } from './stages.js';

export type Incident = {
  'at s': string;
  'e2e ms': string;
  'ack ms': string;
  stages: string;
  stalls: string;
};

function overlapping(stalls: Stall[], from: number, to: number): Stall[] {
  return stalls.filter((stall) => stall.at < to && stall.at + stall.ms > from);
}

/** The `count` worst incidents by e2e latency; `sides` are each process's or thread's stalls on the bench's clock. */
export function worstIncidents(ways: RecordWay[], sides: Record<string, StallLog | undefined>, count: number): Incident[] {
  if (ways.length === 0) return [];
  const startedAt = Math.min(...ways.map((way) => way.scheduledAt));
  const byLatency = [...ways].sort((a, b) => b.handledAt - b.scheduledAt - (a.handledAt - a.scheduledAt));
  const picked: RecordWay[] = [];
  for (const way of byLatency) {
    if (picked.length >= count) break;
    if (picked.some((other) => other.scheduledAt < way.handledAt && way.scheduledAt < other.handledAt)) continue;
    picked.push(way);
  }
  const stageNumber = (stage: string) => stage.split(' ')[0];
  return picked.map((way) => {
    const stages = STAGES.filter(([stage]) => /^\d/.test(stage) && (way.stages[stage] ?? 0) >= 0.5)
      .map(([stage]) => `${stageNumber(stage)}:${way.stages[stage]!.toFixed(1)}`)
      .join(' ');
    const stalls = Object.entries(sides)
      .flatMap(([side, log]) => overlapping(log?.stalls ?? [], way.scheduledAt, way.handledAt).map((stall) => `${side} ${stall.kind} ${stall.ms.toFixed(1)}${stall.cpuMs === undefined ? '' : ` (cpu ${stall.cpuMs.toFixed(1)})`} @${(stall.at - way.scheduledAt).toFixed(1)}`))
      .join(', ');
    return {
      'at s': ((way.scheduledAt - startedAt) / 1000).toFixed(3),
      'e2e ms': (way.handledAt - way.scheduledAt).toFixed(1),
      'ack ms': (way.stages['ack total (scheduled -> ack)'] ?? Number.NaN).toFixed(1),
      stages,
      stalls,
    };
  });
}

/** A stall log moved onto the bench's clock (the broker's, by the measured offset). */
export function shiftedStalls(log: StallLog | undefined, offsetMs: number): StallLog | undefined {
  return log && { ...log, stalls: log.stalls.map((stall) => ({ ...stall, at: stall.at - offsetMs })) };
}

/** e2e p50 / p99 / max per second of the run: a tail made at start-up (cold code) shows in the first row. */
export function perSecond(ways: RecordWay[]): Array<Record<string, string | number>> {
  if (ways.length === 0) return [];
  const startedAt = Math.min(...ways.map((way) => way.scheduledAt));
  const seconds = new Map<number, number[]>();
  for (const way of ways) {
    const second = Math.floor((way.scheduledAt - startedAt) / 1000);
    if (!seconds.has(second)) seconds.set(second, []);
    seconds.get(second)!.push(way.handledAt - way.scheduledAt);
  }
  return [...seconds].sort((a, b) => a[0] - b[0]).map(([second, latencies]) => {
    latencies.sort((a, b) => a - b);
    const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!.toFixed(2);
    return { second, records: latencies.length, 'e2e p50 ms': at(0.5), 'e2e p99 ms': at(0.99), 'e2e max ms': latencies[latencies.length - 1]!.toFixed(1) };
  });
}
