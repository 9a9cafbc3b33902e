/**
 * One partition of a queue: the window of messages from the acknowledged point on, each
 * available, leased to a worker (in flight until its visibility timeout), acked, or dead-lettered.
 * Pure state, no I/O: the service loads records into it and persists what it reports.
 *
 *   ackedThrough  every offset below is settled (acked or dead-lettered) or gone by retention
 *   window        offsets ackedThrough.. loaded so far, at most `windowRecords` of them: memory is
 *                 bounded however far workers fall behind; priority applies within the window
 */
import type { DecodedRecord } from '../../storage/index.js';
import type { SettledState } from './queue-store.js';

export interface WindowMessage {
  partition: number;
  offset: number;
  record: DecodedRecord;
  bytes: number;
  priority: number;
  /** The key as text, for orderedByKey (null: no key, never blocks). */
  key: string | null;
  /** dying: being written to the dead-letter topic, out of delivery. */
  state: 'available' | 'leased' | 'dying' | SettledState;
  deliveryCount: number;
  /** A nack with a delay keeps a message back until then. */
  availableAtMs: number;
  leaseUntilMs: number;
  receipt: string | null;
}

const PRIORITY_HEADER = 'priority';

export function priorityOf(record: DecodedRecord): number {
  const header = record.headers.find((candidate) => candidate.key === PRIORITY_HEADER);
  const value = header?.value ? Number(header.value.toString('utf8')) : 0;
  return Number.isInteger(value) && value >= 0 && value <= 9 ? value : 0;
}

export class QueuePartition {
  readonly window = new Map<number, WindowMessage>();
  /** Next offset to load into the window. */
  loadedThrough: number;
  windowBytes = 0;
  /** Messages in the window with a priority above 0: while none, the first candidates are the best. */
  private prioritized = 0;
  /**
   * Records read from the log but not yet in the window (a batch holds thousands; the window takes
   * a few as acks free room): kept so a refill does not read and decode the same batch again.
   */
  private readAhead: DecodedRecord[] = [];
  /** Each readAhead record's share of its batch's bytes (a parallel array of numbers: an object per record was garbage). */
  private readAheadBytes: number[] = [];
  /** The first entry of readAhead not taken yet: taking from the front by splice moved the thousands behind it, per refill. */
  private readAheadStart = 0;
  /** No nack's delay runs out before this (a lower bound, made exact by nextChangeAtMs once passed). */
  private delayedUntilMs = Infinity;
  /** No lease runs out before this (a lower bound: leases settled since are not taken out). */
  private leaseExpiryMs = Infinity;
  /**
   * No message below this offset is available (all leased, dying or settled): a scan for
   * candidates starts here instead of walking the leases in flight from the acknowledged point on
   * (with 800 in flight, that walk was most of a receive's cost). Lowered by every message made
   * available again (a nack, a lease running out, a dead letter that failed to write).
   */
  private availableFrom = 0;
  /**
   * For orderedByKey: per key, its messages in the window that are leased or dying (in flight).
   * Kept as the states change, so a scan for candidates starts at availableFrom, not at the
   * acknowledged point: walking the leases in flight to learn which keys they block was most of
   * an orderedByKey receive's cost (10% of the broker's CPU with 800 in flight).
   */
  private readonly inFlightKeys = new Map<string, number>();
  /** Delivery counts and settled states from SQLite, applied as their offsets are loaded. */
  private readonly restored = new Map<number, { state: 'delivered' | SettledState; deliveryCount: number }>();

  constructor(
    readonly partition: number,
    public ackedThrough: number,
    public deadLettered: number,
  ) {
    this.loadedThrough = ackedThrough;
  }

  restore(offset: number, state: 'delivered' | SettledState, deliveryCount: number): void {
    if (offset >= this.ackedThrough) this.restored.set(offset, { state, deliveryCount });
  }

  /** Retention deleted messages nobody settled: the window starts at the log's start. */
  skipTo(logStartOffset: number): number {
    if (logStartOffset <= this.ackedThrough) return 0;
    const skipped = logStartOffset - this.ackedThrough;
    for (const offset of [...this.window.keys()]) if (offset < logStartOffset) this.drop(offset);
    const kept: number[] = [];
    for (let i = this.readAheadStart; i < this.readAhead.length; i++) if (this.readAhead[i]!.offset >= logStartOffset) kept.push(i);
    this.readAheadBytes = kept.map((i) => this.readAheadBytes[i]!);
    this.readAhead = kept.map((i) => this.readAhead[i]!);
    this.readAheadStart = 0;
    this.ackedThrough = logStartOffset;
    this.loadedThrough = Math.max(this.loadedThrough, logStartOffset);
    return skipped;
  }

  /** Where the last wait for new records on this partition started (QueueService.watchForRecords). */
  watchedFrom = -1;

  /** Records read from the log and not yet in the window. */
  readAheadCount(): number {
    return this.readAhead.length - this.readAheadStart;
  }

  /** Keeps records of a read for the window (those from loadedThrough on). */
  keepReadAhead(records: readonly DecodedRecord[], bytesPerRecord: number): void {
    for (const record of records) {
      if (record.offset < this.loadedThrough) continue;
      this.readAhead.push(record);
      this.readAheadBytes.push(bytesPerRecord);
    }
  }

  /** Moves up to `count` records kept by keepReadAhead into the window, oldest first; `settledOf` says which enter settled (add()). */
  fillFromReadAhead(count: number, settledOf: (record: DecodedRecord) => SettledState | undefined): void {
    const end = Math.min(this.readAhead.length, this.readAheadStart + count);
    for (let i = this.readAheadStart; i < end; i++) this.add(this.readAhead[i]!, this.readAheadBytes[i]!, settledOf(this.readAhead[i]!));
    this.readAheadStart = end;
    if (this.readAheadStart === this.readAhead.length) {
      this.readAhead = [];
      this.readAheadBytes = [];
      this.readAheadStart = 0;
    }
  }

  /** `settled`: the record is not this queue's work (redriven for another queue): it enters settled. */
  add(record: DecodedRecord, bytes: number, settled?: SettledState): void {
    if (record.offset < this.loadedThrough) return;
    const restored = this.restored.get(record.offset);
    this.restored.delete(record.offset);
    const state = settled ?? (restored && restored.state !== 'delivered' ? restored.state : 'available');
    this.window.set(record.offset, {
      partition: this.partition,
      offset: record.offset,
      record,
      bytes,
      priority: priorityOf(record),
      key: record.key === null ? null : record.key.toString('latin1'),
      state,
      deliveryCount: restored?.deliveryCount ?? 0,
      availableAtMs: 0,
      leaseUntilMs: 0,
      receipt: null,
    });
    this.windowBytes += bytes;
    if (this.window.get(record.offset)!.priority > 0) this.prioritized++;
    this.loadedThrough = record.offset + 1;
  }

  /** Leases that ran out become available again; those delivered maxDeliveries times are returned for dead-lettering. */
  expireLeases(nowMs: number, maxDeliveries: number): WindowMessage[] {
    const exhausted: WindowMessage[] = [];
    // Every receive checks for expired leases: without this bound it walked the whole window
    // (thousands of messages per partition) per receive, to find nothing nearly every time.
    if (nowMs < this.leaseExpiryMs) return exhausted;
    let soonest = Infinity;
    for (const message of this.window.values()) {
      if (message.state !== 'leased') continue;
      if (message.leaseUntilMs > nowMs) {
        soonest = Math.min(soonest, message.leaseUntilMs);
        continue;
      }
      this.reopen(message);
      message.receipt = null;
      message.availableAtMs = 0;
      if (message.deliveryCount >= maxDeliveries) exhausted.push(message);
    }
    this.leaseExpiryMs = soonest;
    return exhausted;
  }

  /**
   * Messages that may be handed out now, in offset order. With orderedByKey, a key with a message
   * in flight or waiting (a nack delay) blocks its later messages, so per-key order holds.
   */
  candidates(nowMs: number, orderedByKey: boolean, limit: number): WindowMessage[] {
    // Without priorities, offset order is the delivery order: the first `limit` will do.
    return this.collect(nowMs, orderedByKey, this.prioritized === 0 ? limit : Infinity);
  }

  /** Whether any message may be handed out now (one found is enough, priorities or not). */
  hasCandidate(nowMs: number, orderedByKey: boolean): boolean {
    return this.collect(nowMs, orderedByKey, 1).length > 0;
  }

  /** The first `enough` messages that may be handed out now, in offset order. */
  private collect(nowMs: number, orderedByKey: boolean, enough: number): WindowMessage[] {
    if (orderedByKey) return this.keyOrderedCandidates(nowMs, enough);
    const result: WindowMessage[] = [];
    let firstAvailable = -1;
    let offset = Math.max(this.availableFrom, this.ackedThrough);
    for (; offset < this.loadedThrough && result.length < enough; offset++) {
      const message = this.window.get(offset);
      if (message === undefined || message.state !== 'available') continue;
      if (firstAvailable === -1) firstAvailable = offset;
      if (message.availableAtMs <= nowMs) result.push(message);
    }
    // Candidates not leased after all stay available from firstAvailable on.
    this.availableFrom = firstAvailable === -1 ? offset : firstAvailable;
    return result;
  }

  /**
   * candidates() with orderedByKey: a key with a message in flight (inFlightKeys) or an earlier one
   * available or waiting out a nack's delay blocks its later messages. In flight messages precede
   * their key's available ones (a later message is never leased before an earlier one settles), so
   * the scan starts at availableFrom, as candidates() does.
   */
  private keyOrderedCandidates(nowMs: number, enough: number): WindowMessage[] {
    const result: WindowMessage[] = [];
    const seenKeys = new Set<string>();
    let firstAvailable = -1;
    let offset = Math.max(this.availableFrom, this.ackedThrough);
    for (; offset < this.loadedThrough && result.length < enough; offset++) {
      const message = this.window.get(offset);
      if (message === undefined || message.state !== 'available') continue;
      if (firstAvailable === -1) firstAvailable = offset;
      const key = message.key;
      if (key !== null) {
        if (seenKeys.has(key) || this.inFlightKeys.has(key)) continue;
        seenKeys.add(key);
      }
      if (message.availableAtMs <= nowMs) result.push(message);
    }
    this.availableFrom = firstAvailable === -1 ? offset : firstAvailable;
    return result;
  }

  /** Whether a message in the window has a priority above 0 (else offset order is delivery order). */
  hasPriorities(): boolean {
    return this.prioritized > 0;
  }

  /** Makes a message deliverable again (its lease ran out, a nack, a dead letter that could not be written). */
  reopen(message: WindowMessage): void {
    // Dropped meanwhile (retention ran during a failed dead-letter write): nothing to deliver again.
    if (this.window.get(message.offset) !== message) return;
    this.leaveFlight(message);
    message.state = 'available';
    if (message.offset < this.availableFrom) this.availableFrom = message.offset;
  }

  lease(message: WindowMessage, receipt: string, leaseUntilMs: number): void {
    this.leaseExpiryMs = Math.min(this.leaseExpiryMs, leaseUntilMs);
    this.enterFlight(message);
    message.state = 'leased';
    message.deliveryCount++;
    message.receipt = receipt;
    message.leaseUntilMs = leaseUntilMs;
  }

  /** Settles a message; answers whether the acknowledged point moved. */
  settle(message: WindowMessage, state: SettledState): boolean {
    this.leaveFlight(message);
    message.state = state;
    message.receipt = null;
    if (state === 'dead') this.deadLettered++;
    return this.advance();
  }

  /** Takes a message out of delivery while it is written to the dead-letter topic (still in flight: it blocks its key). */
  markDying(message: WindowMessage): void {
    this.enterFlight(message);
    message.state = 'dying';
    message.receipt = null;
  }

  /** Counts a message entering flight (leased or dying) in inFlightKeys, once. */
  private enterFlight(message: WindowMessage): void {
    if (message.key === null || message.state === 'leased' || message.state === 'dying') return;
    this.inFlightKeys.set(message.key, (this.inFlightKeys.get(message.key) ?? 0) + 1);
  }

  /** Counts a message leaving flight (settled, available again or dropped) out of inFlightKeys. */
  private leaveFlight(message: WindowMessage): void {
    if (message.key === null || (message.state !== 'leased' && message.state !== 'dying')) return;
    const count = (this.inFlightKeys.get(message.key) ?? 0) - 1;
    // Never below zero (nor NaN): a count taken twice let two of a key be leased at once.
    if (count <= 0) this.inFlightKeys.delete(message.key);
    else this.inFlightKeys.set(message.key, count);
  }

  release(message: WindowMessage, delayMs: number, nowMs: number): void {
    this.reopen(message);
    message.receipt = null;
    message.availableAtMs = nowMs + delayMs;
    if (delayMs > 0) this.delayedUntilMs = Math.min(this.delayedUntilMs, message.availableAtMs);
  }

  counts(): { available: number; inFlight: number; settledAhead: number } {
    let available = 0;
    let inFlight = 0;
    let settledAhead = 0;
    for (const message of this.window.values()) {
      if (message.state === 'available') available++;
      else if (message.state === 'leased' || message.state === 'dying') inFlight++;
      else settledAhead++;
    }
    // Settled before a restart and not loaded into the window yet: not work any more either.
    for (const { state } of this.restored.values()) if (state !== 'delivered') settledAhead++;
    return { available, inFlight, settledAhead };
  }

  /** Whether a lease may still run out: exact after expireLeases scanned, true until then (settled leases are not tracked). */
  hasLeases(): boolean {
    return this.leaseExpiryMs !== Infinity;
  }

  /**
   * The soonest moment a message may become deliverable without new records (a lease or a nack's
   * delay running out), as a lower bound: waking early costs a look, and each waiting receive asked
   * for it, so walking the whole window for it every time was a cost per wait.
   */
  nextChangeAtMs(nowMs: number): number {
    if (this.delayedUntilMs <= nowMs) {
      let soonest = Infinity;
      for (const message of this.window.values()) if (message.state === 'available' && message.availableAtMs > nowMs) soonest = Math.min(soonest, message.availableAtMs);
      this.delayedUntilMs = soonest;
    }
    return Math.min(this.leaseExpiryMs, this.delayedUntilMs);
  }

  /** Moves the acknowledged point over settled messages (also those restored settled). */
  advance(): boolean {
    const before = this.ackedThrough;
    while (this.ackedThrough < this.loadedThrough) {
      const message = this.window.get(this.ackedThrough);
      // A gap (compaction removed the offset) counts as settled.
      if (message && message.state !== 'acked' && message.state !== 'dead') break;
      if (message) this.drop(this.ackedThrough);
      this.ackedThrough++;
    }
    return this.ackedThrough !== before;
  }

  private drop(offset: number): void {
    const message = this.window.get(offset);
    if (!message) return;
    this.leaveFlight(message);
    // Out of flight for good: a dead letter still being written must not take it out of inFlightKeys again.
    if (message.state !== 'dead') message.state = 'acked';
    this.windowBytes -= message.bytes;
    if (message.priority > 0) this.prioritized--;
    this.window.delete(offset);
  }
}
