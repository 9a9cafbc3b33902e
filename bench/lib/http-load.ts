/** Runs autocannon against one URL and returns its throughput and latency figures. */
import autocannon from 'autocannon';

export interface LoadResult {
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  errors: number;
  non2xx: number;
}

export async function load(options: { url: string; method?: 'GET' | 'POST'; body?: string | Buffer; headers?: Record<string, string>; seconds: number; connections?: number; pipelining?: number }): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    method: options.method ?? 'POST',
    body: options.body,
    headers: options.headers,
    duration: options.seconds,
    connections: options.connections ?? 10,
    pipelining: options.pipelining ?? 1,
  });
  return {
    requestsPerSecond: result.requests.average,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}
