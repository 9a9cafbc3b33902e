/**
 * Flags of `npm run bench:compare -- [flags]` (COMPARE_USAGE, which `--help` prints) and the time
 * each phase gets. Defaults finish within 5 minutes on the project's 2-core machine, --quick
 * within 60 seconds.
 */
import type { SystemName } from './driver.js';
import { WORKLOADS } from './workloads.js';

export interface CompareOptions {
  quick: boolean;
  /** Produce time of a max-rate live run. */
  produceSeconds: number;
  /** Duration of the fixed-rate (open loop) run. */
  rateSeconds: number;
  /** After producing, how long consumers may take to catch up before the run ends. */
  drainSecondsMax: number;
  /** W5: records produced before replaying, and the most time producing them may take. */
  backlogRecords: number;
  backlogSecondsMax: number;
  /** W5: the most time the replay may take before the run ends. */
  replaySecondsMax: number;
  /** Bytes of the disk's sequential write calibration. */
  diskCalibrationBytes: number;
  httpSeconds: number;
  workloads: string[];
  systems: SystemName[];
}

export const SYSTEMS: readonly SystemName[] = ['spool', 'spool-kafka', 'redis', 'nats'];

export const COMPARE_USAGE = `Usage: npm run bench:compare [-- options]
Spool side by side with Redis Streams and NATS JetStream (real servers, installed with apt-get when
missing), per workload and durability tier, beside the machine's disk and loopback HTTP limits.
Defaults finish within 5 minutes on a 2-core machine, --quick within 60 s.

  --quick            short phases, small disk calibration, small backlog
  --seconds N        produce time of each max-rate run (default 4; --quick: 0.5)
  --only W,...       run only these workloads (default all: ${WORKLOADS.map((workload) => workload.id).join(',')})
  --systems S,...    run only these systems (default all: ${SYSTEMS.join(',')})`;

function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

export function parseOptions(args: string[]): CompareOptions {
  const quick = args.includes('--quick');
  const seconds = flag(args, '--seconds');
  const produceSeconds = seconds !== undefined ? Number(seconds) : quick ? 0.5 : 4;
  if (!(produceSeconds > 0)) throw new Error(`--seconds must be a positive number, not ${seconds}`);
  const workloads = flag(args, '--only')?.split(',') ?? WORKLOADS.map((workload) => workload.id);
  for (const id of workloads) if (!WORKLOADS.some((workload) => workload.id === id)) throw new Error(`unknown workload ${id} (known: ${WORKLOADS.map((w) => w.id).join(', ')})`);
  const systems = (flag(args, '--systems')?.split(',') ?? SYSTEMS) as SystemName[];
  for (const system of systems) if (!SYSTEMS.includes(system)) throw new Error(`unknown system ${system} (known: ${SYSTEMS.join(', ')})`);
  return {
    quick,
    produceSeconds,
    rateSeconds: quick ? 1 : 5,
    drainSecondsMax: quick ? 2 : 6,
    backlogRecords: quick ? 150_000 : 2_000_000,
    backlogSecondsMax: quick ? 1 : 8,
    replaySecondsMax: quick ? 3 : 20,
    diskCalibrationBytes: quick ? 128 * 1024 * 1024 : 1024 * 1024 * 1024,
    httpSeconds: quick ? 1 : 2,
    workloads,
    systems,
  };
}
