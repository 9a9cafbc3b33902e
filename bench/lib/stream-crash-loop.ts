/**
 * Conditional stream appends under SIGKILL (issue 18), for test/reliability/stream-crash-loop.test.ts.
 *
 * Each cycle spawns the compiled broker (flush=always) on one data directory, checks what the
 * previous cycles left, then runs writers that read a stream's version and append 1-3 events
 * expecting it (so they conflict with each other on a few hot streams) until a SIGKILL at a random
 * moment. The checks after every restart:
 *
 *   - every acknowledged event is in its stream at its acknowledged version (event ids are unique);
 *   - the stream index agrees with a full scan of the log: each stream's events read through the
 *     stream API are exactly its key's records, in offset order, scanned batch by batch (CRC checked).
 */
import { type BrokerProcess, startBrokerProcess } from './broker-process.js';
import { ensureTopic, request, scanPartition } from './spool-http.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface StreamCrashLoopOptions {
  cycles: number;
  writers?: number;
  streams?: number;
  loadMsMin?: number;
  loadMsMax?: number;
}

export interface StreamCrashLoopSummary {
  cycles: number;
  acknowledgedEvents: number;
  conflicts: number;
  problems: string[];
}

const TOPIC = 'es';
const PARTITIONS = 2;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface StoredEvent {
  stream: string;
  id: string;
}

class StreamCrashLoop {
  /** stream → version → event id, for every acknowledged event. */
  readonly acked = new Map<string, Map<number, string>>();
  readonly summary: StreamCrashLoopSummary = { cycles: 0, acknowledgedEvents: 0, conflicts: 0, problems: [] };
  private sequence = 0;

  constructor(readonly options: Required<StreamCrashLoopOptions>) {}

  private problem(message: string): void {
    if (this.summary.problems.length < 50) this.summary.problems.push(message);
  }

  private streamName(index: number): string {
    return `order-${index}`;
  }

  /** One writer: read the version, append expecting it, until the broker goes away. */
  async write(url: string, stopped: () => boolean): Promise<void> {
    while (!stopped()) {
      const stream = this.streamName(Math.floor(Math.random() * this.options.streams));
      try {
        const info = await request(`${url}/v1/topics/${TOPIC}/streams/${stream}`);
        if (info.status !== 200) throw new Error(`describe ${stream}: ${info.status}`);
        const version = info.body.version as number;
        const events = Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => {
          const id = `e${this.sequence++}-${process.pid}`;
          return { type: 'Happened', id, data: { stream, id } };
        });
        const answer = await request(`${url}/v1/topics/${TOPIC}/streams/${stream}/events`, { method: 'POST', json: { events, expectedVersion: version < 0 ? 'no_stream' : version } });
        if (answer.status === 409) {
          this.summary.conflicts++;
          continue;
        }
        if (answer.status !== 200) throw new Error(`append ${stream}: ${answer.status} ${JSON.stringify(answer.body)}`);
        const versions = this.acked.get(stream) ?? new Map<number, string>();
        events.forEach((event, index) => versions.set(answer.body.firstVersion + index, event.id));
        this.acked.set(stream, versions);
        this.summary.acknowledgedEvents += events.length;
      } catch (error) {
        if (!stopped()) this.problem(`writer: ${(error as Error).message}`);
        return;
      }
    }
  }

  /** Every stream's events through the stream API, by version. */
  private async readStream(url: string, stream: string): Promise<StoredEvent[]> {
    const events: StoredEvent[] = [];
    let from: number | null = 0;
    while (from !== null) {
      const page = await request(`${url}/v1/topics/${TOPIC}/streams/${stream}/events?from=${from}&limit=1000`);
      if (page.status !== 200) throw new Error(`read ${stream}: ${page.status}`);
      for (const event of page.body.events as Array<{ version: number; data: StoredEvent }>) {
        if (event.version !== events.length) this.problem(`${stream}: event at version ${event.version} read as number ${events.length}`);
        events.push(event.data);
      }
      from = page.body.nextVersion as number | null;
    }
    return events;
  }

  async verify(url: string, when: string): Promise<void> {
    const scanned = new Map<string, string[]>();
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const scan = await scanPartition(url, TOPIC, partition);
      for (const problem of [...scan.badBatches, ...scan.gaps]) this.problem(`${when}: partition ${partition}: ${problem}`);
      for (const record of scan.records) {
        const event = JSON.parse(record.value!.toString('utf8')) as StoredEvent;
        scanned.set(event.stream, [...(scanned.get(event.stream) ?? []), event.id]);
      }
    }
    for (let index = 0; index < this.options.streams; index++) {
      const stream = this.streamName(index);
      const ids = (await this.readStream(url, stream)).map((event) => event.id);
      const fromScan = scanned.get(stream) ?? [];
      if (JSON.stringify(ids) !== JSON.stringify(fromScan)) this.problem(`${when}: ${stream}: the index gives ${ids.length} events, a full scan ${fromScan.length} (or another order)`);
      for (const [version, id] of this.acked.get(stream) ?? []) {
        if (ids[version] !== id) this.problem(`${when}: ${stream}: acknowledged ${id} at version ${version}, found ${ids[version] ?? 'nothing'}`);
      }
    }
  }
}

export async function runStreamCrashLoop(options: StreamCrashLoopOptions): Promise<StreamCrashLoopSummary> {
  const loop = new StreamCrashLoop({ writers: 8, streams: 6, loadMsMin: 200, loadMsMax: 800, ...options });
  const dataDir = mkdtempSync(join(tmpdir(), 'spool-stream-crash-'));
  let broker: BrokerProcess | null = null;
  try {
    for (let cycle = 0; cycle < options.cycles; cycle++) {
      broker = await startBrokerProcess({ flush: 'always', dataDir });
      // Small segments: the kills land on rolls and sealed `.keys` files too.
      await ensureTopic(broker.url, TOPIC, PARTITIONS, { streamIndex: true, segmentBytes: 16 * 1024 });
      await loop.verify(broker.url, `after kill ${cycle}`);
      let stopped = false;
      const writers = Array.from({ length: loop.options.writers }, () => loop.write(broker!.url, () => stopped));
      await sleep(loop.options.loadMsMin + Math.random() * (loop.options.loadMsMax - loop.options.loadMsMin));
      stopped = true;
      const exited = new Promise((resolve) => broker!.child.once('exit', resolve));
      broker.child.kill('SIGKILL');
      await exited;
      await Promise.all(writers);
      loop.summary.cycles++;
    }
    broker = await startBrokerProcess({ flush: 'always', dataDir });
    await loop.verify(broker.url, 'after the last kill');
    await broker.stop();
    broker = null;
  } finally {
    if (broker) {
      broker.child.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  return loop.summary;
}
