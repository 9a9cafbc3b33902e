/**
 * Fetch: read whole batches from an offset, long-polling up to maxWaitMs when the reader is at the
 * end of the log. The answer comes as soon as an append moves the high watermark (the partition
 * wakes its waiters), not when the wait runs out.
 */
import { decodeRecordBatchesWithin, type DecodedRecord, type PartitionLog, type ReadResult } from '../../storage/index.js';
import { BrokerError } from '../errors.js';
import { type BrokerLimits, brokerLimits } from '../limits.js';
import type { BrokerMetrics } from '../metrics.js';
import type { Quotas } from '../security/quotas.js';
import { ANONYMOUS } from '../security/request-principal.js';
import type { TopicService } from '../topics/topic-service.js';

export type OffsetSpec = number | 'earliest' | 'latest';

export interface FetchRequest {
  topic: string;
  partition: number;
  offset: OffsetSpec;
  maxBytes: number;
  maxWaitMs: number;
  signal?: AbortSignal;
  /** Whose long-poll it is (quotaLongPollsPerPrincipal). */
  principal?: string;
}

export interface FetchResult extends ReadResult {
  /** The offset actually read from (earliest/latest resolved). */
  fromOffset: number;
}

export class FetchService {
  private longPolls = 0;

  constructor(
    private readonly topics: TopicService,
    private readonly metrics: BrokerMetrics,
    private readonly limits: BrokerLimits = brokerLimits,
    /** quotaLongPollsPerPrincipal; none: no quota. */
    private readonly quotas: Pick<Quotas, 'take'> | null = null,
  ) {}

  resolveOffset(log: PartitionLog, offset: OffsetSpec): number {
    if (offset === 'earliest') return log.logStartOffset;
    if (offset === 'latest') return log.highWatermark;
    return offset;
  }

  async fetch(request: FetchRequest): Promise<FetchResult> {
    const log = this.topics.partition(request.topic, request.partition);
    const fromOffset = this.resolveOffset(log, request.offset);
    let result = await log.read(fromOffset, request.maxBytes);
    if (result.data.length === 0 && request.maxWaitMs > 0 && fromOffset === log.highWatermark) {
      await this.waitForData([{ log, offset: fromOffset }], request.maxWaitMs, request.signal, request.principal);
      result = await log.read(fromOffset, request.maxBytes);
    }
    this.metrics.bytesOut.inc(request.topic, result.data.length);
    return { ...result, fromOffset };
  }

  /**
   * A fetch that stays open (`follow`): whole batches from `request.offset` on, handed to `write`
   * as the log has them, for as long as the reader stays (until `signal` aborts). A live consumer
   * so gets each append pushed the moment it is acknowledged, with no request per delivery: a
   * long-poll answers once, and records appended before the next fetch arrives wait for it.
   * `write` answers false when the reader's socket is full; `drained` then resolves when it has
   * room, so a slow reader costs no memory here, only a position in the log. Ends (resolves) after
   * maxWaitMs without records, so a dead reader is let go as a long-poll would be, and on a read
   * error (retention passed the position, the log closed): the reader's next fetch says which.
   */
  async follow(request: FetchRequest, stream: { write(data: Buffer, nextOffset: number): boolean; drained(): Promise<void> }): Promise<void> {
    const log = this.topics.partition(request.topic, request.partition);
    let position = this.resolveOffset(log, request.offset);
    const signal = request.signal;
    while (!signal?.aborted) {
      const result = await log.read(position, request.maxBytes).catch(() => null);
      if (!result) return;
      if (result.data.length > 0) {
        this.metrics.bytesOut.inc(request.topic, result.data.length);
        position = result.nextOffset;
        if (!stream.write(result.data, position)) await stream.drained();
        // A read of the log's tail resolves without I/O, and a loopback socket takes megabytes
        // before it is full: without a turn of the event loop here, a reader catching up would
        // hold every other request (heartbeats, produces) until its socket filled.
        else await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      // Over longPollsMax (or the principal's long-poll quota) the wait is refused: the reader's next fetch is told so.
      await this.waitForData([{ log, offset: position }], request.maxWaitMs, signal, request.principal).catch(() => undefined);
      if (log.highWatermark <= position) return; // nothing for maxWaitMs (or aborted, or closed, or refused)
    }
  }

  /**
   * The long-poll of HTTP and Kafka fetches: waits until one of the partitions has records past
   * its offset, up to maxWaitMs (capped), or until `signal` aborts. One long-poll, whatever the
   * number of partitions, counts against longPollsMax and the principal's quotaLongPollsPerPrincipal
   * (429 SPOOL_ERR_TOO_MANY_SUBSCRIBERS, SPOOL_ERR_QUOTA_EXCEEDED past them).
   */
  async waitForData(targets: Array<{ log: PartitionLog; offset: number }>, maxWaitMs: number, signal?: AbortSignal, principal = ANONYMOUS): Promise<void> {
    if (this.longPolls >= this.limits.longPollsMax) {
      throw new BrokerError('SPOOL_ERR_TOO_MANY_SUBSCRIBERS', `${this.limits.longPollsMax} long-polls are already waiting`, { limit: 'longPollsMax', max: this.limits.longPollsMax, retryAfterMs: 1000 });
    }
    const releaseQuota = this.quotas?.take('longPolls', principal) ?? (() => {});
    this.longPolls++;
    this.metrics.longPolls.inc();
    try {
      const timeoutMs = Math.min(maxWaitMs, this.limits.maxWaitMsMax);
      if (targets.length === 1) await targets[0]!.log.waitForData(targets[0]!.offset, timeoutMs, signal);
      else await this.waitForAny(targets, timeoutMs, signal);
    } finally {
      this.longPolls--;
      this.metrics.longPolls.dec();
      releaseQuota();
    }
  }

  /**
   * Several partitions: the first to have data ends the wait, and the others' waiters are stopped.
   * (One partition, a followed fetch's every wait, needs no controller of its own: aborting one
   * builds a DOMException with a stack: ~6% of the broker's busy time at 10,000 records/s.)
   */
  private async waitForAny(targets: Array<{ log: PartitionLog; offset: number }>, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const done = new AbortController();
    const stop = () => done.abort();
    signal?.addEventListener('abort', stop, { once: true });
    try {
      await Promise.race(targets.map(({ log, offset }) => log.waitForData(offset, timeoutMs, done.signal)));
    } finally {
      done.abort(); // the other partitions' waiters stop too
      signal?.removeEventListener('abort', stop);
    }
  }

  /**
   * Records of a fetch at or past `fromOffset` (the first batch may start before it), decompressed
   * up to `budgetBytes` (the fetch's maxBytes: compressed batches could otherwise inflate far past
   * it). `nextOffset` is where the next fetch starts: the read's own, or the first batch left out.
   */
  decode(result: FetchResult, topic: string, budgetBytes: number): { records: DecodedRecord[]; nextOffset: number } {
    // The log read CRC-checked every batch it answered: decoding them does not again.
    const read = decodeRecordBatchesWithin(result.data, budgetBytes, result.fromOffset, true);
    const records = read.batches.flatMap((batch) => batch.records);
    this.metrics.recordsOut.inc(topic, records.length);
    return { records, nextOffset: read.cut ? read.nextOffset : result.nextOffset };
  }
}
