/**
 * The queue crash loop behind `npm run torture:crash -- --mode queue` and
 * test/reliability/queue-crash-loop.test.ts: work queues under SIGKILL.
 *
 * Each cycle spawns the compiled broker on one data directory, then runs producers (JSON records,
 * each value a unique id) and workers that receive, then ack most messages, nack some and reject a
 * few, until a SIGKILL at a random moment: half of them over HTTP (receive, ack, nack, reject
 * requests), half on a queue session (pushed messages, settlement frames, credit given back as
 * they settle). What a worker was answered `ok` for is settled (a SETTLED frame without the
 * receipt among its failures, over a session). Checks:
 *
 *   - a message whose ack was answered is never delivered again (settled once), in any later cycle;
 *   - a message whose reject was answered is in the dead-letter topic;
 *   - none lost: after the last crash, workers drain the queue, and every message whose produce was
 *     answered has been acked or rejected (or was in an ack or reject the kill cut off, whose
 *     outcome nobody heard); the queue then reports nothing available or in flight, and the same
 *     after a clean shutdown and start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { decodeBrokerFrame, encodeCredit, encodeSettle, sessionReceiptOf } from '../../storage/codec/index.js';
import { killUnderLoad, randomInt, sleep } from './kill-under-load.js';
import { type BrokerProcess, startBrokerProcess } from './broker-process.js';
import { ensureTopic, produceJson, request, scanPartition } from './spool-http.js';

export interface QueueCrashLoopOptions {
  cycles: number;
  /** The broker's --flush: `always` (synced tier) or `never` (page-cache tier; a SIGKILL keeps its writes). */
  flush?: string;
  producers?: number;
  workers?: number;
  loadMsMin?: number;
  loadMsMax?: number;
  onCycle?: (report: { cycle: number; produced: number; acked: number; problems: string[] }) => void;
}

export interface QueueCrashLoopSummary {
  cycles: number;
  flush: string;
  produced: number;
  acked: number;
  rejected: number;
  /** Deliveries of messages that were not settled (nacked, or in flight at a kill): allowed. */
  redelivered: number;
  /** Deliveries of a message after its ack was answered (each is a defect). */
  deliveredAfterAck: number;
  /** Answered rejects missing from the dead-letter topic (each is a defect). */
  rejectsMissing: number;
  /** Answered produces never acked or rejected by the end of the drain (each is a defect). */
  lost: number;
  /** Answers other than 200 while the broker was up (each is a defect). */
  failedRequests: number;
  problems: string[];
}

const TOPIC = 'torture-jobs';
const QUEUE = 'workers';
const DEAD_LETTERS = `${TOPIC}.dlq`;
const PARTITIONS = 4;

interface Delivery {
  receipt: string;
  id: string;
}

class QueueCrashLoop {
  readonly produced = new Set<string>();
  readonly acked = new Set<string>();
  readonly rejected = new Set<string>();
  private readonly delivered = new Set<string>();
  /** Acked or rejected in a request the kill cut: settled or not, either is right. */
  private readonly inDoubt = new Set<string>();
  private sequence = 0;
  readonly summary: QueueCrashLoopSummary;

  constructor(readonly options: Required<Omit<QueueCrashLoopOptions, 'onCycle'>>) {
    this.summary = { cycles: 0, flush: options.flush, produced: 0, acked: 0, rejected: 0, redelivered: 0, deliveredAfterAck: 0, rejectsMissing: 0, lost: 0, failedRequests: 0, problems: [] };
  }

  problem(message: string): void {
    if (this.summary.problems.length < 50) this.summary.problems.push(message);
  }

  private failed(what: string, status: number, body: unknown): void {
    this.summary.failedRequests++;
    this.problem(`${what} answered ${status}: ${JSON.stringify(body).slice(0, 200)}`);
  }

  private path(url: string, action: string): string {
    return `${url}/v1/topics/${TOPIC}/queues/${QUEUE}/${action}`;
  }

  async setUp(url: string): Promise<void> {
    await ensureTopic(url, TOPIC, PARTITIONS);
    // maxDeliveries high enough that only rejects dead-letter: the checks know each message's end.
    const answer = await request(`${url}/v1/topics/${TOPIC}/queues/${QUEUE}`, { method: 'PUT', json: { visibilityMs: 5000, maxDeliveries: 1000 } });
    if (answer.status !== 201 && answer.status !== 200) throw new Error(`create queue: ${answer.status} ${JSON.stringify(answer.body)}`);
  }

  private async producer(url: string, cycle: number, index: number, running: () => boolean): Promise<void> {
    while (running()) {
      const ids = Array.from({ length: randomInt(1, 20) }, () => `c${cycle}-p${index}-n${this.sequence++}`);
      const answer = await produceJson(url, TOPIC, ids.map((id) => ({ value: id })));
      if (answer.status !== 200) this.failed('produce', answer.status, answer.body);
      else for (const id of ids) this.produced.add(id);
    }
  }

  /** Receives once; answers the deliveries, noting any of a message whose ack was answered before. */
  async receive(url: string, max: number, waitMs: number): Promise<Delivery[]> {
    const answer = await request(this.path(url, 'receive'), { method: 'POST', json: { max, waitMs, visibilityMs: 5000 } });
    if (answer.status !== 200) {
      this.failed('receive', answer.status, answer.body);
      return [];
    }
    return (answer.body.messages as Array<{ receipt: string; value: unknown }>).map(({ receipt, value }) => this.delivery(receipt, String(value)));
  }

  /** Notes a delivery, and any of a message whose ack was answered before. */
  private delivery(receipt: string, id: string): Delivery {
    if (this.acked.has(id)) {
      this.summary.deliveredAfterAck++;
      this.problem(`${id} delivered again (${receipt}) after its ack was answered`);
    } else if (this.delivered.has(id)) {
      this.summary.redelivered++;
    }
    this.delivered.add(id);
    return { receipt, id };
  }

  /** The answered outcome of a settlement of `deliveries`: refused ones by index, the others settled. */
  private settled(kind: 'ack' | 'nack' | 'reject', deliveries: Delivery[], refused: (index: number) => string | null): void {
    deliveries.forEach(({ id }, i) => {
      const code = refused(i);
      if (code !== null) this.problem(`${kind} of ${id} refused: ${code}`);
      else if (kind === 'ack') this.acked.add(id);
      else if (kind === 'reject') this.rejected.add(id);
    });
  }

  async settle(url: string, kind: 'ack' | 'nack' | 'reject', deliveries: Delivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    if (kind !== 'nack') for (const { id } of deliveries) this.inDoubt.add(id);
    const answer = await request(this.path(url, kind), { method: 'POST', json: { receipts: deliveries.map((delivery) => delivery.receipt) } });
    for (const { id } of deliveries) this.inDoubt.delete(id);
    if (answer.status !== 200) {
      this.failed(kind, answer.status, answer.body);
      return;
    }
    const results = answer.body.results as Array<{ ok: boolean; error?: { code: string } }>;
    this.settled(kind, deliveries, (i) => (results[i]!.ok ? null : (results[i]!.error?.code ?? 'refused')));
  }

  /**
   * A worker on a queue session until the kill closes it: each push split into ack, nack and
   * reject frames as the HTTP workers split a receive, its credit given back as they are answered.
   */
  private sessionWorker(url: string, running: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/topics/${TOPIC}/queues/${QUEUE}/session`);
      const unanswered = new Map<number, { kind: 'ack' | 'nack' | 'reject'; deliveries: Delivery[] }>();
      let nextId = 1;
      const watch = setInterval(() => running() || ws.terminate(), 20);
      ws.on('open', () => ws.send(encodeCredit(50, 5000)));
      ws.on('unexpected-response', (_request, response) => {
        this.failed('session upgrade', response.statusCode ?? 0, null);
        ws.terminate();
      });
      ws.on('message', (data) => {
        const frame = decodeBrokerFrame(data as Buffer);
        if (frame.type === 'error') return this.problem(`session closed: ${frame.code} ${frame.message}`);
        if (frame.type === 'settled') {
          const sent = unanswered.get(frame.id)!;
          unanswered.delete(frame.id);
          for (const { id } of sent.deliveries) this.inDoubt.delete(id);
          const refused = new Map(frame.failures.map((failure) => [failure.index, failure.code]));
          this.settled(sent.kind, sent.deliveries, (i) => refused.get(i) ?? null);
          ws.send(encodeCredit(sent.deliveries.length, 5000));
          return;
        }
        const deliveries = frame.messages.map((message) => this.delivery(message.receipt, JSON.parse(message.value!.toString('utf8')) as string));
        const roll = deliveries.map(() => Math.random());
        const kinds = [['ack', 0, 0.9], ['nack', 0.9, 0.97], ['reject', 0.97, 1]] as const;
        for (const [kind, from, to] of kinds) {
          const part = deliveries.filter((_, i) => roll[i]! >= from && roll[i]! < to);
          if (part.length === 0) continue;
          if (kind !== 'nack') for (const { id } of part) this.inDoubt.add(id);
          unanswered.set(nextId, { kind, deliveries: part });
          ws.send(encodeSettle(kind, nextId++, part.map((delivery) => sessionReceiptOf(delivery.receipt)!)));
        }
      });
      ws.on('error', () => {});
      ws.on('close', () => {
        clearInterval(watch);
        resolve();
      });
    });
  }

  private async worker(url: string, running: () => boolean): Promise<void> {
    while (running()) {
      const deliveries = await this.receive(url, randomInt(1, 50), 100);
      const roll = deliveries.map(() => Math.random());
      await Promise.all([
        this.settle(url, 'ack', deliveries.filter((_, i) => roll[i]! < 0.9)),
        this.settle(url, 'nack', deliveries.filter((_, i) => roll[i]! >= 0.9 && roll[i]! < 0.97)),
        this.settle(url, 'reject', deliveries.filter((_, i) => roll[i]! >= 0.97)),
      ]);
    }
  }

  async loadAndKill(broker: BrokerProcess, cycle: number): Promise<void> {
    await killUnderLoad(broker, { min: this.options.loadMsMin, max: this.options.loadMsMax }, (running) => [
      ...Array.from({ length: this.options.producers }, (_, i) => this.producer(broker.url, cycle, i, running)),
      ...Array.from({ length: this.options.workers }, (_, i) => (i % 2 === 0 ? this.worker(broker.url, running) : this.sessionWorker(broker.url, running))),
    ]);
  }

  /** Acks everything left until a receive comes back empty, then checks nothing is lost. */
  async drainAndCheck(url: string, when: string): Promise<void> {
    for (;;) {
      const deliveries = await this.receive(url, 1000, 200);
      if (deliveries.length === 0) break;
      await this.settle(url, 'ack', deliveries);
    }
    const depth = await request(`${url}/v1/topics/${TOPIC}/queues/${QUEUE}`);
    if (depth.body.available !== 0 || depth.body.inFlight !== 0) this.problem(`${when}: queue reports ${depth.body.available} available, ${depth.body.inFlight} in flight after the drain`);
    let lost = 0;
    for (const id of this.produced) {
      if (this.acked.has(id) || this.rejected.has(id) || this.inDoubt.has(id)) continue;
      lost++;
      this.problem(`${when}: ${id} was produced and never acked or rejected`);
    }
    this.summary.lost = Math.max(this.summary.lost, lost);
    const deadLetters = new Set<string>();
    const scan = await scanPartition(url, DEAD_LETTERS, 0).catch(() => ({ records: [] }));
    for (const record of scan.records) deadLetters.add(JSON.parse(record.value?.toString('utf8') ?? 'null') as string);
    let missing = 0;
    for (const id of this.rejected) {
      if (deadLetters.has(id)) continue;
      missing++;
      this.problem(`${when}: rejected ${id} is not in ${DEAD_LETTERS}`);
    }
    this.summary.rejectsMissing = Math.max(this.summary.rejectsMissing, missing);
  }
}

export async function runQueueCrashLoop(options: QueueCrashLoopOptions): Promise<QueueCrashLoopSummary> {
  const dataDir = mkdtempSync(join(tmpdir(), 'spool-queue-torture-'));
  const loop = new QueueCrashLoop({
    cycles: options.cycles,
    flush: options.flush ?? 'always',
    producers: options.producers ?? 2,
    workers: options.workers ?? 4,
    loadMsMin: options.loadMsMin ?? 100,
    loadMsMax: options.loadMsMax ?? 1200,
  });
  const start = () => startBrokerProcess({ flush: loop.options.flush, dataDir });
  try {
    for (let cycle = 0; cycle < options.cycles; cycle++) {
      const broker = await start();
      if (cycle === 0) await loop.setUp(broker.url);
      const before = loop.summary.problems.length;
      await loop.loadAndKill(broker, cycle);
      loop.summary.cycles++;
      options.onCycle?.({ cycle, produced: loop.produced.size, acked: loop.acked.size, problems: loop.summary.problems.slice(before) });
    }
    const afterCrash = await start();
    await loop.drainAndCheck(afterCrash.url, 'after the last crash');
    await afterCrash.stop();
    const afterClean = await start();
    await loop.drainAndCheck(afterClean.url, 'after a clean shutdown');
    await afterClean.stop();
    Object.assign(loop.summary, { produced: loop.produced.size, acked: loop.acked.size, rejected: loop.rejected.size });
    return loop.summary;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
