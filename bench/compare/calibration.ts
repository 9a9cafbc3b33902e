/**
 * The machine's own limits, measured in the same run: the disk (sequential write bandwidth and
 * fdatasync latency, in the directory the servers write to) and loopback HTTP through a bare
 * fastify route (what any HTTP request costs here before Spool does anything: Redis and NATS
 * speak their own TCP protocols, Spool speaks HTTP).
 */
import { tmpdir } from 'node:os';
import { startBareFastify } from '../lib/bare-fastify-process.js';
import { type DiskLimits, measureDiskLimits } from '../lib/disk-limits.js';
import { load } from '../lib/http-load.js';
import type { CompareOptions } from './options.js';

export interface Calibration {
  disk: DiskLimits & { dir: string };
  http: {
    /** 10 connections, one request at a time each. */
    requestsPerSecond: number;
    p50Ms: number;
    p99Ms: number;
    /** 1 connection: the mean round trip of one request. */
    roundTripMs: number;
  };
}

export async function calibrate(options: CompareOptions): Promise<Calibration> {
  const dir = tmpdir();
  const disk = { ...measureDiskLimits(dir, options.diskCalibrationBytes), dir };
  const bare = await startBareFastify();
  try {
    const body = JSON.stringify({ records: [{ value: 'x'.repeat(100) }] });
    const headers = { 'content-type': 'application/json' };
    const parallel = await load({ url: `${bare.url}/echo`, body, headers, seconds: options.httpSeconds, connections: 10 });
    const single = await load({ url: `${bare.url}/echo`, body, headers, seconds: options.httpSeconds, connections: 1 });
    return { disk, http: { requestsPerSecond: parallel.requestsPerSecond, p50Ms: parallel.latencyP50Ms, p99Ms: parallel.latencyP99Ms, roundTripMs: 1000 / single.requestsPerSecond } };
  } finally {
    await bare.stop();
  }
}
