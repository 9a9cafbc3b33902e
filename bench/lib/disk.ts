/**
 * The disk's own limits, measured in the same run as the benchmark that compares with them:
 * sequential write bandwidth (1 MiB writes, then one fdatasync) and fdatasync latency of small
 * appends, in the directory the benchmark writes to.
 */
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface DiskCalibration {
  sequentialWriteMBps: number;
  fdatasyncP50Ms: number;
  fdatasyncP99Ms: number;
}

export function calibrateDisk(dir: string, bytes = 1024 * 1024 * 1024): DiskCalibration {
  const path = join(dir, 'calibration.tmp');
  const chunk = Buffer.alloc(1024 * 1024, 7);
  const fd = openSync(path, 'w');
  try {
    const started = performance.now();
    for (let written = 0; written < bytes; written += chunk.length) writeSync(fd, chunk);
    fdatasyncSync(fd);
    const seconds = (performance.now() - started) / 1000;
    const small = Buffer.alloc(4096, 1);
    const latencies: number[] = [];
    for (let i = 0; i < 200; i++) {
      writeSync(fd, small);
      const syncStarted = performance.now();
      fdatasyncSync(fd);
      latencies.push(performance.now() - syncStarted);
    }
    latencies.sort((a, b) => a - b);
    return {
      sequentialWriteMBps: bytes / 1e6 / seconds,
      fdatasyncP50Ms: latencies[Math.floor(latencies.length * 0.5)]!,
      fdatasyncP99Ms: latencies[Math.floor(latencies.length * 0.99)]!,
    };
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
}
