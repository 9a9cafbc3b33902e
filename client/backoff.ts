/**
 * Exponential backoff with full jitter (AWS architecture blog's "full jitter"): the n-th retry waits
 * a random time in [0, min(maxMs, baseMs * 2^n)], which spreads retries of many clients apart.
 * A broker's Retry-After, when given, is a floor.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  retries: number;
}

export const defaultBackoff: BackoffOptions = { baseMs: 50, maxMs: 5000, retries: 10 };

export function backoffDelayMs(attempt: number, options: BackoffOptions, retryAfterMs = 0, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** attempt);
  return Math.max(retryAfterMs, Math.floor(random() * ceiling));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
