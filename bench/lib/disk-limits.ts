/**
 * The disk's own limits for a benchmark to compare with: measured by fio when it is installed (the
 * tool storage people trust, and independent of Node), else by Node itself (disk.ts). Both measure
 * in the directory the benchmark writes to, since tmpfs, overlay and a real disk differ by 10x.
 *
 *   sequential write: 1 MiB writes of `bytes`, ended by one fsync (fio --end_fsync=1)
 *   fdatasync latency: 4 KiB appends, each followed by fdatasync (fio --fdatasync=1)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { calibrateDisk, type DiskCalibration } from './disk.js';

export interface DiskLimits extends DiskCalibration {
  tool: 'fio' | 'node';
  fioVersion: string | null;
}

interface FioJob {
  write: { bw_bytes: number };
  sync?: { lat_ns?: { percentile?: Record<string, number> } };
}

function fio(dir: string, args: string[]): FioJob | null {
  const result = spawnSync('fio', [`--directory=${dir}`, '--output-format=json', ...args], { encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) return null;
  try {
    return (JSON.parse(result.stdout) as { jobs: FioJob[] }).jobs[0] ?? null;
  } catch {
    return null;
  }
}

function fioVersion(): string | null {
  const result = spawnSync('fio', ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : null;
}

export function measureDiskLimits(dir: string, bytes: number): DiskLimits {
  const version = fioVersion();
  if (version) {
    const work = mkdtempSync(join(dir, 'fio-'));
    try {
      const sequential = fio(work, ['--name=seqwrite', '--rw=write', '--bs=1M', `--size=${bytes}`, '--ioengine=psync', '--end_fsync=1']);
      const syncs = fio(work, ['--name=fdatasync', '--rw=write', '--bs=4k', '--size=2M', '--ioengine=sync', '--fdatasync=1']);
      const percentiles = syncs?.sync?.lat_ns?.percentile;
      if (sequential && percentiles?.['50.000000'] !== undefined && percentiles['99.000000'] !== undefined) {
        return {
          tool: 'fio',
          fioVersion: version,
          sequentialWriteMBps: sequential.write.bw_bytes / 1e6,
          fdatasyncP50Ms: percentiles['50.000000'] / 1e6,
          fdatasyncP99Ms: percentiles['99.000000'] / 1e6,
        };
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  return { tool: 'node', fioVersion: null, ...calibrateDisk(dir, bytes) };
}
