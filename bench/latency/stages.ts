/**
 * Joins the marks of bench/latency-stages.ts into per-record stage durations. Every record passes,
 * on one clock (the broker's times shifted by the measured offset):
 *
 *   scheduled ─1─ send() ─2─ request on the wire ─3─ broker has the request ─4─ append acknowledged
 *     ├─5─ produce answer handed to the socket ─6─ producer has the ack              (the ack path)
 *     └─7─ fetch answer read ─8─ fetch answer handed to the socket ─9─ consumer has the headers
 *            ─10─ consumer has the body ─11─ handler called                           (the delivery path)
 *
 * A followed fetch (the consumer's default once caught up) has one request for many deliveries:
 * its batches go out as they are read (stage 8 is 0), and reach the handler in one stage (9-11).
 * Stage 7 is the wait for a fetch: a long-poll woken by the append, or, when the consumer had no
 * fetch waiting, the time until its next fetch arrived (then 7a, that fetch's arrival, is late).
 * A produce request and its client-side marks are matched by order: the run has one partition,
 * and the requests written reach the broker in the order they went on the wire (a pipelined
 * request that overtook an earlier one is refused and goes again after it; the bench leaves the
 * refused ones out).
 */
import type { ConsumerMarks } from './consumer-probe.js';
import type { BrokerTrace, TracedRequest } from './trace.js';

export interface ProducerMarks {
  /** Per send() call: its records' scheduled times, when it was called, when it resolved, its first offset. */
  sends: Array<{ scheduled: number[]; calledAt: number; ackedAt: number; firstOffset: number }>;
  /** Per produce request, in order: its headers written (undici:client:sendHeaders), its answer's headers back. */
  requests: Array<{ wireAt: number; answerAt: number }>;
}

export const STAGES = [
  ['1 scheduled -> send() called', 'the open loop\'s timer turn (the bench, not the system)'],
  ['2 send() -> request on the wire', 'the producer: its batching turn, a request already in flight'],
  ['3 wire -> broker has the request', 'loopback and the broker\'s event loop'],
  ['4 broker has it -> append acked', 'body, validation, the write round (and fdatasync at flush=always)'],
  ['5 append acked -> produce answer out', 'serializing the answer'],
  ['6 answer out -> producer has the ack', 'loopback and the producer\'s event loop'],
  ['7 append acked -> fetch answer read', 'waking the long-poll (or waiting for the next fetch) and the read'],
  ['7a fetch arrived after the append by', 'records that found no long-poll waiting (0 when one was)'],
  ['8 fetch read -> fetch answer out', 'writing the answer'],
  ['9 answer out -> consumer has headers', 'loopback and the consumer\'s event loop'],
  ['10 headers -> body', 'the body\'s bytes'],
  ['11 body -> handler called', 'decoding and the delivery queue'],
  ['9-11 followed: batch out -> handler called', 'a followed fetch: loopback, the consumer\'s event loop, decoding, the delivery queue'],
  ['ack total (scheduled -> ack)', ''],
  ['e2e total (scheduled -> handler)', ''],
] as const;

export type StageName = (typeof STAGES)[number][0];

export interface StageSummary {
  stage: StageName;
  count: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
}

/**
 * The offset of the broker's clock from this process's: a sync request's arrival at the broker
 * lies between its sending and its answer here, so the request with the shortest round trip bounds
 * the offset best (to half its round trip).
 */
export function clockOffsetMs(syncs: TracedRequest[], client: Array<{ sentAt: number; answeredAt: number }>): { offsetMs: number; boundMs: number } {
  let best = { offsetMs: 0, boundMs: Number.POSITIVE_INFINITY };
  for (const row of syncs) {
    const sent = client[row.first];
    if (!sent) continue;
    const boundMs = (sent.answeredAt - sent.sentAt) / 2;
    if (boundMs < best.boundMs) best = { offsetMs: row.receivedAt - (sent.sentAt + sent.answeredAt) / 2, boundMs };
  }
  return best;
}

/** The row holding `offset` among rows sorted by `first` with disjoint [first, next). */
function rowHolding<T extends { first: number; next: number }>(rows: T[], offset: number): T | undefined {
  let low = 0;
  let high = rows.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const row = rows[middle]!;
    if (offset < row.first) high = middle - 1;
    else if (offset >= row.next) low = middle + 1;
    else return row;
  }
  return undefined;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** One record's way, for the worst records' list: its stage durations and where it was when. */
export interface RecordWay {
  offset: number;
  scheduledAt: number;
  handledAt: number;
  stages: Partial<Record<StageName, number>>;
}

export function stageSummaries(trace: BrokerTrace, producer: ProducerMarks, consumer: ConsumerMarks, offsetMs: number): { summaries: StageSummary[]; ways: RecordWay[] } {
  const shift = (at: number | undefined) => (at === undefined || at === 0 ? Number.NaN : at - offsetMs);
  if (trace.produces.length !== producer.requests.length) throw new Error(`the broker saw ${trace.produces.length} produce requests, the producer sent ${producer.requests.length}`);
  const produces = trace.produces.map((row, i) => ({ ...row, client: producer.requests[i]! })).sort((a, b) => a.first - b.first);
  // A fetch answered twice from one offset (a retry) keeps its last answer, as the consumer does.
  const fetches = [...new Map(trace.fetches.map((row) => [row.first, row])).values()].sort((a, b) => a.first - b.first);
  const delivered = new Map(consumer.delivered);
  const durations = new Map<StageName, number[]>(STAGES.map(([name]) => [name, []]));
  const ways: RecordWay[] = [];
  for (const send of producer.sends) {
    send.scheduled.forEach((scheduled, i) => {
      const offset = send.firstOffset + i;
      const produce = rowHolding(produces, offset);
      const fetch = rowHolding(fetches, offset);
      const handledAt = delivered.get(offset);
      if (!produce || !fetch || handledAt === undefined) return;
      const way: RecordWay = { offset, scheduledAt: scheduled, handledAt, stages: {} };
      const add = (stage: StageName, ms: number) => {
        if (!Number.isFinite(ms)) return;
        durations.get(stage)!.push(ms);
        way.stages[stage] = ms;
      };
      ways.push(way);
      const appendedAt = shift(produce.markedAt);
      add('1 scheduled -> send() called', send.calledAt - scheduled);
      add('2 send() -> request on the wire', produce.client.wireAt - send.calledAt);
      add('3 wire -> broker has the request', shift(produce.receivedAt) - produce.client.wireAt);
      add('4 broker has it -> append acked', appendedAt - shift(produce.receivedAt));
      add('5 append acked -> produce answer out', shift(produce.answeredAt) - appendedAt);
      add('6 answer out -> producer has the ack', send.ackedAt - shift(produce.answeredAt));
      add('7 append acked -> fetch answer read', shift(fetch.markedAt) - appendedAt);
      add('7a fetch arrived after the append by', Math.max(0, shift(fetch.receivedAt) - appendedAt));
      add('8 fetch read -> fetch answer out', shift(fetch.answeredAt) - shift(fetch.markedAt));
      const headersAt = consumer.headersAt[fetch.first];
      const bodyAt = consumer.bodyAt[fetch.first];
      // Batches written into a followed fetch have no answer (nor end) of their own: one stage to the handler.
      if (bodyAt === undefined) {
        add('9-11 followed: batch out -> handler called', handledAt - shift(fetch.answeredAt));
      } else {
        add('9 answer out -> consumer has headers', (headersAt ?? Number.NaN) - shift(fetch.answeredAt));
        add('10 headers -> body', bodyAt - (headersAt ?? Number.NaN));
        add('11 body -> handler called', handledAt - bodyAt);
      }
      add('ack total (scheduled -> ack)', send.ackedAt - scheduled);
      add('e2e total (scheduled -> handler)', handledAt - scheduled);
    });
  }
  const summaries = STAGES.map(([stage]) => {
    const sorted = durations.get(stage)!.sort((a, b) => a - b);
    return { stage, count: sorted.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), p999Ms: percentile(sorted, 99.9) };
  });
  return { summaries, ways };
}
