/**
 * Long-poll waiters of a partition: each waits until the high watermark passes its offset, or its
 * time runs out, or the log closes. Bounded in number (a flood of long-polls cannot grow memory).
 */
import { StorageError } from '../errors.js';

interface Waiter {
  offset: number;
  resolve: (arrived: boolean) => void;
  timer: NodeJS.Timeout;
  onAbort: (() => void) | null;
  signal: AbortSignal | undefined;
}

export class OffsetWaiters {
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly maxWaiters: number) {}

  get size(): number {
    return this.waiters.size;
  }

  /** Resolves true once notify() reports a high watermark above `offset`, false on timeout/abort/close. */
  wait(offset: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.waiters.size >= this.maxWaiters) {
      return Promise.reject(new StorageError('SPOOL_ERR_TOO_MANY_WAITERS', `${this.maxWaiters} long-polls already wait on this partition`));
    }
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        offset,
        resolve,
        signal,
        onAbort: null,
        timer: setTimeout(() => this.settle(waiter, false), Math.max(0, timeoutMs)),
      };
      if (signal) {
        waiter.onAbort = () => this.settle(waiter, false);
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.add(waiter);
    });
  }

  notify(highWatermark: number): void {
    for (const waiter of this.waiters) if (waiter.offset < highWatermark) this.settle(waiter, true);
  }

  closeAll(): void {
    for (const waiter of this.waiters) this.settle(waiter, false);
  }

  private settle(waiter: Waiter, arrived: boolean): void {
    if (!this.waiters.delete(waiter)) return;
    clearTimeout(waiter.timer);
    if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
    waiter.resolve(arrived);
  }
}
