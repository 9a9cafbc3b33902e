/**
 * What a server process costs, read from Linux /proc while it runs: resident memory sampled for
 * its peak, and bytes it sent to the block layer. Elsewhere the figures read 0.
 */
import { readFileSync } from 'node:fs';
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
