/**
 * What a server process costs, read from Linux /proc while it runs: resident memory sampled for
 * its peak, and bytes it sent to the block layer. Elsewhere the figures read 0.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { residentBytes } from './broker-process.js';

/** write_bytes of /proc/<pid>/io: what the process caused to be written to storage (page cache flushes included once they happen). */
export function ioWriteBytes(pid: number): number {
  try {
    const match = /^write_bytes:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Bytes allocated on disk under a directory (st_blocks, so preallocated-but-sparse files count what they use). */
export async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await directoryBytes(path);
    else if (entry.isFile()) total += await stat(path).then((info) => info.blocks * 512, () => 0);
  }
  return total;
}

/** Samples a process's VmRSS every `intervalMs` and keeps the peak. */
export class ResidentSampler {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number, intervalMs = 200) {
    this.timer = setInterval(() => void this.sample(), intervalMs);
    this.timer.unref();
    void this.sample();
  }

  private async sample(): Promise<number> {
    const bytes = await residentBytes(this.pid);
    this.peak = Math.max(this.peak, bytes);
    return bytes;
  }

  /** Stops sampling; answers the peak and the last value. */
  async stop(): Promise<{ peakBytes: number; lastBytes: number }> {
    clearInterval(this.timer);
    const lastBytes = await this.sample();
    return { peakBytes: this.peak, lastBytes };
  }
}

/** utime + stime (fields 14-15) or, with `children`, cutime + cstime (16-17) of /proc/<pid>/stat, in seconds. */
function statCpuSeconds(pid: number | 'self', children: boolean): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const first = children ? 13 : 11;
    return (Number(fields[first]) + Number(fields[first + 1])) / 100; // clock ticks (USER_HZ = 100 on Linux)
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; 0 where unavailable. */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(pid, false);
}

/** CPU seconds this process's ended (and waited-for) child processes used, e.g. a kcat run; 0 where unavailable. */
export function endedChildrenCpuSeconds(): number {
  return statCpuSeconds('self', true);
}

/** The processes whose command line contains `marker` (a browser's profile folder names all its processes). */
export function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
