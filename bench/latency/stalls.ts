/**
 * Where a thread stood still, for bench/latency-stages.ts: every gap of its event loop longer than
 * STALL_MS (a chain of short timers that notes how late each fired) and every garbage collection
 * longer than GC_NOTED_MS (perf_hooks' 'gc' entries), with their start on the clock every thread
 * and process of the bench shares (clockMs(); the broker's are shifted by the measured offset).
 * Run in the broker (broker-probe.ts), the producer's thread and the consumer's worker, so the
 * worst records' stages can be laid beside what each side was doing then.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { clockMs } from '../compare/payload.js';

/** A timer turn later than this is a stall (a turn at 10,000 records/s carries ~1-3 ms of work). */
const STALL_MS = 5;
const GC_NOTED_MS = 2;
const TICK_MS = 1;

export interface Stall {
  /** clockMs() when the thread stopped (the late turn's due time). */
  at: number;
  ms: number;
  /**
   * A late timer turn, by where the thread spent most of the gap (/proc/thread-self/sched):
   * 'busy' on a CPU (its own work: a long task, a collection), else 'runqueue' when the kernel
   * took the CPU away more often than the thread gave it up (other processes' turn on a loaded
   * host), or 'blocked' (asleep in the kernel: a blocking syscall, a page fault on I/O). Or a collection's kind ('gc:minor', 'gc:major', ...), which
   * lies inside some turn.
   */
  kind: string;
  /** The thread's time on a CPU during the gap, ms. */
  cpuMs?: number;
}

export interface StallLog {
  stalls: Stall[];
  /** monitorEventLoopDelay over the run, ms. */
  loopDelay: { p50Ms: number; p99Ms: number; maxMs: number };
  gc: { count: number; totalMs: number };
}

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'gc:minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'gc:major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'gc:incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'gc:weakcb',
};

const SCHED_FIELDS = {
  cpuMs: /^se\.sum_exec_runtime\s*:\s*([\d.]+)/m,
  voluntary: /^nr_voluntary_switches\s*:\s*(\d+)/m,
  involuntary: /^nr_involuntary_switches\s*:\s*(\d+)/m,
};

interface ThreadTimes {
  cpuMs: number;
  voluntary: number;
  involuntary: number;
}

/**
 * This thread's CPU time and context switches so far (/proc/thread-self/sched: the kernel's own
 * ns-precise count; schedstat's wait times are off in this kernel).
 */
function threadTimes(fd: number, scratch: Buffer): ThreadTimes {
  const text = scratch.toString('latin1', 0, readSync(fd, scratch, 0, scratch.length, 0));
  const field = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
  return { cpuMs: field(SCHED_FIELDS.cpuMs), voluntary: field(SCHED_FIELDS.voluntary), involuntary: field(SCHED_FIELDS.involuntary) };
}

/** What the thread did in a gap: what it did not spend on a CPU it spent waiting, for one (preempted) or for the kernel (asleep). */
function classified(at: number, ms: number, before: ThreadTimes, after: ThreadTimes): Stall {
  const cpuMs = after.cpuMs - before.cpuMs;
  const preempted = after.involuntary - before.involuntary > after.voluntary - before.voluntary;
  const kind = cpuMs >= ms / 2 ? 'busy' : preempted ? 'runqueue' : 'blocked';
  return { at, ms, kind, cpuMs };
}

/** Starts watching this thread; stop() answers what it saw. */
export function watchStalls(): { stop(): StallLog } {
  const stalls: Stall[] = [];
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let gcCount = 0;
  let gcTotalMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcCount++;
      gcTotalMs += entry.duration;
      const kind = GC_KINDS[(entry as unknown as { detail?: { kind?: number } }).detail?.kind ?? -1] ?? 'gc';
      if (entry.duration >= GC_NOTED_MS) stalls.push({ at: performance.timeOrigin + entry.startTime, ms: entry.duration, kind });
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  let dueAt = clockMs() + TICK_MS;
  const sched = openSync('/proc/thread-self/sched', 'r');
  const scratch = Buffer.alloc(4096);
  let times = threadTimes(sched, scratch);
  let timer: NodeJS.Timeout;
  const tick = () => {
    const now = clockMs();
    const last = times;
    times = threadTimes(sched, scratch);
    if (now - dueAt > STALL_MS) stalls.push(classified(dueAt, now - dueAt, last, times));
    dueAt = now + TICK_MS;
    timer = setTimeout(tick, TICK_MS);
    timer.unref();
  };
  timer = setTimeout(tick, TICK_MS);
  timer.unref();
  return {
    stop() {
      clearTimeout(timer);
      closeSync(sched);
      observer.disconnect();
      delay.disable();
      const ms = (ns: number) => ns / 1e6;
      return { stalls, loopDelay: { p50Ms: ms(delay.percentile(50)), p99Ms: ms(delay.percentile(99)), maxMs: ms(delay.max) }, gc: { count: gcCount, totalMs: gcTotalMs } };
    },
  };
}
