/**
 * The crash loop behind `npm run torture:crash` and test/reliability/crash-loop.test.ts.
 *
 * Each cycle spawns the compiled broker (flush=always) on one data directory, checks what the
 * previous cycles left, then runs concurrent producers (JSON bodies and raw batches, none and gzip,
 * over several partitions) and a group committer until a SIGKILL at a random moment. The checks:
 *
 *   - every acknowledged record is present exactly once, at its acknowledged partition and offset
 *     (each record's value is a unique id);
 *   - every batch served with format=batch passes size, magic and CRC-32C checks and decodes;
 *   - batch offsets are contiguous (no gap, no overlap) from the log start to the high watermark;
 *   - committed group offsets never move backwards;
 *   - the broker answers /health soon after spawn (start-up time is reported, 2 s is the target).
 *
 * One cycle in four also kills a broker while it starts (in recovery) before the one that is checked.
 * After the last cycle the broker is restarted after the crash, stopped cleanly (SIGTERM) and
 * started once more, so the trusted clean-shutdown path is checked too.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Compression, encodeRecordBatch } from '../../storage/index.js';
import { killUnderLoad, randomInt, sleep } from './kill-under-load.js';
import { type BrokerProcess, freePort, startBrokerProcess } from './broker-process.js';
import { commitOffsets, committedOffsets, ensureTopic, produceBatch, produceJson, scanPartition } from './spool-http.js';

export interface CrashLoopOptions {
  cycles: number;
  partitions?: number;
  jsonProducers?: number;
  batchProducers?: number;
  /** Load runs a random time in [loadMsMin, loadMsMax) before the SIGKILL. */
  loadMsMin?: number;
  loadMsMax?: number;
  dataDir?: string;
  onCycle?: (report: CycleReport) => void;
}

export interface CycleReport {
  cycle: number;
  startupMs: number;
  ackedThisCycle: number;
  ackedTotal: number;
  problems: string[];
}

export interface CrashLoopSummary {
  cycles: number;
  partitions: number;
  ackedRecords: number;
  lost: number;
  duplicated: number;
  badBatches: number;
  gaps: number;
  committedBackwards: number;
  /** Produce or commit answers other than 200 while the broker was up (each is a defect). */
  failedRequests: number;
  maxStartupMs: number;
  slowStarts: number;
  /** Brokers killed while starting (recovering), before the cycle's checked start. */
  startupKills: number;
  startupMs: number[];
  /** The first problems found, for the report (counts above are complete). */
  problems: string[];
}

/** The compiled broker, as broker-process.ts starts it (from dist/ when run from the TS sources). */
const MAIN = new URL(import.meta.url.endsWith('.ts') ? '../../dist/broker/main.js' : '../../broker/main.js', import.meta.url);
const TOPIC = 'torture';
const GROUP = 'torture-group';
const STARTUP_TARGET_MS = 2000;

interface Placement {
  partition: number;
  offset: number;
}


/** A stored value back to its id: JSON produce stores the JSON text of the string. */
function idOf(value: Buffer | null): string {
  const text = value?.toString('utf8') ?? '';
  return text.startsWith('"') ? (JSON.parse(text) as string) : text;
}

class CrashLoop {
  readonly acked = new Map<string, Placement>();
  readonly committed = new Map<number, number>();
  /** Highest acknowledged offset per partition (what the committer commits after). */
  private readonly highestAcked = new Map<number, number>();
  readonly summary: CrashLoopSummary;
  private sequence = 0;

  constructor(
    private readonly options: Required<Omit<CrashLoopOptions, 'onCycle' | 'dataDir'>> & Pick<CrashLoopOptions, 'onCycle'>,
    private readonly dataDir: string,
  ) {
    this.summary = {
      cycles: 0,
      partitions: options.partitions,
      ackedRecords: 0,
      lost: 0,
      duplicated: 0,
      badBatches: 0,
      gaps: 0,
      committedBackwards: 0,
      failedRequests: 0,
      maxStartupMs: 0,
      slowStarts: 0,
      startupKills: 0,
      startupMs: [],
      problems: [],
    };
  }

  private problem(message: string): void {
    if (this.summary.problems.length < 50) this.summary.problems.push(message);
  }

  async start(): Promise<BrokerProcess> {
    const started = performance.now();
    const broker = await startBrokerProcess({ flush: 'always', dataDir: this.dataDir });
    const startupMs = Math.round(performance.now() - started);
    this.summary.startupMs.push(startupMs);
    this.summary.maxStartupMs = Math.max(this.summary.maxStartupMs, startupMs);
    if (startupMs > STARTUP_TARGET_MS) this.summary.slowStarts++;
    return broker;
  }

  /** Spawns a broker and SIGKILLs it a few ms later, in the middle of its start-up and recovery. */
  async killDuringStartup(): Promise<void> {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN.pathname, '--port', String(port), '--data-dir', this.dataDir, '--flush', 'always', '--log-level', 'error', '--kafka-port', '0'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // Start-up is mostly loading modules; aim anywhere up to the last measured start-up time.
    await sleep(randomInt(20, Math.max(100, this.summary.maxStartupMs)));
    child.kill('SIGKILL');
    await exited;
    this.summary.startupKills++;
  }

  /** Checks everything the broker holds against what it acknowledged. Returns the problems found. */
  async verify(url: string, when: string): Promise<string[]> {
    const before = this.summary.problems.length;
    const counts = { lost: 0, duplicated: 0, badBatches: 0, gaps: 0, committedBackwards: 0 };
    const found = new Map<string, Placement[]>();
    for (let partition = 0; partition < this.options.partitions; partition++) {
      const scan = await scanPartition(url, TOPIC, partition);
      counts.badBatches += scan.badBatches.length;
      counts.gaps += scan.gaps.length;
      for (const reason of [...scan.badBatches, ...scan.gaps]) this.problem(`${when}: partition ${partition}: ${reason}`);
      for (const record of scan.records) {
        const id = idOf(record.value);
        const places = found.get(id) ?? [];
        places.push({ partition, offset: record.offset });
        found.set(id, places);
      }
    }
    for (const [id, places] of found) {
      if (places.length > 1) {
        counts.duplicated++;
        this.problem(`${when}: ${id} stored ${places.length} times`);
      }
    }
    for (const [id, placement] of this.acked) {
      const places = found.get(id) ?? [];
      if (!places.some((place) => place.partition === placement.partition && place.offset === placement.offset)) {
        counts.lost++;
        this.problem(`${when}: acknowledged ${id} at ${placement.partition}:${placement.offset} is ${places.length === 0 ? 'missing' : `at ${JSON.stringify(places)}`}`);
      }
    }
    const committed = await committedOffsets(url, GROUP);
    for (const [partition, offset] of this.committed) {
      const now = committed.get(`${TOPIC}:${partition}`) ?? -1;
      if (now < offset) {
        counts.committedBackwards++;
        this.problem(`${when}: committed offset of partition ${partition} went back from ${offset} to ${now}`);
      } else {
        this.committed.set(partition, now);
      }
    }
    this.summary.lost = Math.max(this.summary.lost, counts.lost);
    this.summary.duplicated = Math.max(this.summary.duplicated, counts.duplicated);
    this.summary.badBatches += counts.badBatches;
    this.summary.gaps += counts.gaps;
    this.summary.committedBackwards += counts.committedBackwards;
    return this.summary.problems.slice(before);
  }

  private ack(id: string, placement: Placement): void {
    this.acked.set(id, placement);
    if (placement.offset > (this.highestAcked.get(placement.partition) ?? -1)) this.highestAcked.set(placement.partition, placement.offset);
  }

  private nextId(cycle: number, producer: string): string {
    return `c${cycle}-${producer}-n${this.sequence++}`;
  }

  private failed(what: string, status: number, body: unknown): void {
    this.summary.failedRequests++;
    this.problem(`${what} answered ${status}: ${JSON.stringify(body).slice(0, 200)}`);
  }

  private async jsonProducer(url: string, cycle: number, index: number, running: () => boolean): Promise<void> {
    while (running()) {
      const ids = Array.from({ length: randomInt(1, 10) }, () => this.nextId(cycle, `j${index}`));
      const keyed = Math.random() < 0.5;
      const answer = await produceJson(url, TOPIC, ids.map((id) => (keyed ? { key: id, value: id } : { value: id })));
      if (answer.status !== 200) {
        this.failed('JSON produce', answer.status, answer.body);
        continue;
      }
      answer.body.records.forEach((placement: Placement, i: number) => this.ack(ids[i]!, placement));
    }
  }

  private async batchProducer(url: string, cycle: number, index: number, running: () => boolean): Promise<void> {
    while (running()) {
      const partition = randomInt(0, this.options.partitions);
      const ids = Array.from({ length: randomInt(1, 8) }, () => this.nextId(cycle, `b${index}`));
      const compression = Math.random() < 0.3 ? Compression.gzip : Compression.none;
      const batch = encodeRecordBatch(ids.map((id) => ({ key: null, value: Buffer.from(id) })), { compression });
      const answer = await produceBatch(url, TOPIC, partition, batch);
      if (answer.status !== 200) {
        this.failed('batch produce', answer.status, answer.body);
        continue;
      }
      ids.forEach((id, i) => this.ack(id, { partition, offset: answer.body.baseOffset + i }));
    }
  }

  /** Commits, per partition, the offset after the highest acknowledged record: never backwards. */
  private async committer(url: string, running: () => boolean): Promise<void> {
    while (running()) {
      await sleep(randomInt(5, 30));
      const partition = randomInt(0, this.options.partitions);
      const offset = (this.highestAcked.get(partition) ?? -1) + 1;
      if (offset <= (this.committed.get(partition) ?? 0)) continue;
      const answer = await commitOffsets(url, GROUP, [{ topic: TOPIC, partition, offset }]);
      if (answer.status !== 200) {
        this.failed('commit', answer.status, answer.body);
        continue;
      }
      if (offset > (this.committed.get(partition) ?? -1)) this.committed.set(partition, offset);
    }
  }

  /** Runs producers and the committer, then SIGKILLs the broker at a random moment. */
  async loadAndKill(broker: BrokerProcess, cycle: number): Promise<void> {
    await killUnderLoad(broker, { min: this.options.loadMsMin, max: this.options.loadMsMax }, (running) => [
      ...Array.from({ length: this.options.jsonProducers }, (_, i) => this.jsonProducer(broker.url, cycle, i, running)),
      ...Array.from({ length: this.options.batchProducers }, (_, i) => this.batchProducer(broker.url, cycle, i, running)),
      this.committer(broker.url, running),
    ]);
  }
}

export async function runCrashLoop(options: CrashLoopOptions): Promise<CrashLoopSummary> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'spool-torture-'));
  const loop = new CrashLoop(
    {
      cycles: options.cycles,
      partitions: options.partitions ?? 4,
      jsonProducers: options.jsonProducers ?? 3,
      batchProducers: options.batchProducers ?? 3,
      loadMsMin: options.loadMsMin ?? 100,
      loadMsMax: options.loadMsMax ?? 1200,
      onCycle: options.onCycle,
    },
    dataDir,
  );
  try {
    for (let cycle = 0; cycle < options.cycles; cycle++) {
      const ackedBefore = loop.acked.size;
      if (cycle > 0 && cycle % 4 === 0) await loop.killDuringStartup();
      const broker = await loop.start();
      if (cycle === 0) await ensureTopic(broker.url, TOPIC, loop.summary.partitions);
      const problems = await loop.verify(broker.url, `cycle ${cycle} after restart`);
      await loop.loadAndKill(broker, cycle);
      loop.summary.cycles++;
      loop.summary.ackedRecords = loop.acked.size;
      options.onCycle?.({
        cycle,
        startupMs: loop.summary.startupMs[loop.summary.startupMs.length - 1]!,
        ackedThisCycle: loop.acked.size - ackedBefore,
        ackedTotal: loop.acked.size,
        problems,
      });
    }
    const afterCrash = await loop.start();
    await loop.verify(afterCrash.url, 'after the last crash');
    await afterCrash.stop();
    const afterClean = await loop.start();
    await loop.verify(afterClean.url, 'after a clean shutdown');
    await afterClean.stop();
    return loop.summary;
  } finally {
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}
