/**
 * Runs an operation again while it fails with a retriable error (network, timeout, 429, 503, ...),
 * waiting with exponential backoff and full jitter, the broker's Retry-After as a floor, until the
 * retries or the deadline run out or the signal aborts.
 */
import { backoffDelayMs, type BackoffOptions, defaultBackoff, sleep } from './backoff.js';
import { SpoolClientError } from './errors.js';

export interface RetryOptions extends BackoffOptions {
  /** Give up once this much time has passed since the first attempt (Kafka's delivery.timeout.ms). */
  deadlineMs?: number;
  signal?: AbortSignal;
  onRetry?: (error: SpoolClientError, attempt: number, delayMs: number) => void;
}

export async function withRetries<T>(operation: (attempt: number) => Promise<T>, options: Partial<RetryOptions> = {}): Promise<T> {
  const settings = { ...defaultBackoff, ...options };
  const startedAt = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!(error instanceof SpoolClientError) || !error.retriable) throw error;
      if (attempt >= settings.retries || options.signal?.aborted) throw error;
      const retryAfterMs = typeof error.context.retryAfterMs === 'number' ? error.context.retryAfterMs : 0;
      const delayMs = backoffDelayMs(attempt, settings, retryAfterMs);
      if (settings.deadlineMs !== undefined && Date.now() - startedAt + delayMs > settings.deadlineMs) throw error;
      options.onRetry?.(error, attempt, delayMs);
      await sleep(delayMs, options.signal);
      if (options.signal?.aborted) throw SpoolClientError.local('SPOOL_ERR_CLIENT_CLOSED', 'closed while retrying', {}, error);
    }
  }
}
