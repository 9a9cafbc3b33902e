/**
 * `spool check --data-dir <dir>`: scrubs a data directory (read-only, the broker may be stopped or
 * running) and reports damaged batches and indexes, including inside sealed segments that recovery
 * does not read. `--repair` (broker stopped) cuts each damaged partition at its first damaged batch,
 * keeping the cut bytes in a quarantine file, and rebuilds damaged indexes (storage/log/repair.ts),
 * then scrubs again. Exit status: 0 no damage (left), 1 damage found (or left after a repair),
 * 2 the directory is missing or not a data directory. The storage engine is loaded only for this
 * verb: the client itself depends on the codecs alone.
 */
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { ExitCode, note, printJson, printTable } from '../output.js';

type Storage = typeof import('../../../storage/index.js');

interface CheckFlags {
  dataDir: string;
  json?: boolean;
  progress: boolean;
  repair?: boolean;
}

export function checkCommand(): Command {
  return new Command('check')
    .description('Scrub a data directory: verify every batch\'s CRC and offsets, and every index; --repair cuts damaged partitions')
    .option('-d, --data-dir <dir>', 'the broker\'s data directory (env SPOOL_DATA_DIR)', process.env.SPOOL_DATA_DIR ?? './data')
    .option('--repair', 'with the broker stopped: cut each damaged partition at its first damaged batch (the cut bytes are kept in <data-dir>/quarantine/) and rebuild damaged indexes')
    .option('--json', 'print the report as JSON')
    .option('--no-progress', 'no progress bar')
    .action(async (flags: CheckFlags) => {
      const storage = await import('../../../storage/index.js');
      try {
        await storage.assertDataDirectory(storage.nodeFileSystem, flags.dataDir);
        const repair = flags.repair ? await repairDirectory(storage, flags) : null;
        if (!flags.repair) await noteLiveBroker(flags.dataDir);
        const scrub = await scrubDirectory(storage, flags);
        if (flags.json) printJson(repair ? { repair, ...scrub } : scrub);
        else printScrub(scrub, repair !== null);
        if (scrub.problems.length > 0) process.exitCode = ExitCode.failed;
      } catch (error) {
        if (!(storage.isSpoolError(error) && (error.code === 'SPOOL_ERR_NOT_A_DATA_DIR' || error.code === 'SPOOL_ERR_DATA_DIR_LOCKED'))) throw error;
        process.stderr.write(`spool: ${error.code}: ${error.message}\n`);
        process.exitCode = ExitCode.usage;
      }
    });
}

async function scrubDirectory(storage: Storage, flags: CheckFlags) {
  const bar = flags.progress && process.stderr.isTTY ? new cliProgress.SingleBar({ format: '{bar} {percentage}% | {value}/{total} bytes | {segment}', stream: process.stderr }, cliProgress.Presets.shades_classic) : null;
  let started = false;
  const report = await storage.scrubDataDir(flags.dataDir, {
    onProgress: (progress) => {
      if (!bar) return;
      if (!started) bar.start(progress.bytesTotal, 0, { segment: '' });
      started = true;
      bar.update(progress.bytesDone, { segment: `${progress.topic}/${progress.partition}/${progress.segment}` });
    },
  });
  bar?.stop();
  return report;
}

/** The data directory lock lives with the broker's metadata database (broker/metadata/database.ts). */
async function lockModule() {
  return import('../../../broker/metadata/database.js');
}

/** A scrub of a live directory reads files while they change: say so, and go on. */
async function noteLiveBroker(dataDir: string): Promise<void> {
  const holder = (await lockModule()).dataDirHolder(dataDir);
  if (holder.locked) note(`${holder.error.message.replace(/: one broker per data directory$/, '')}: files may change while they are read; stop it for an exact check`);
}

/**
 * The repair runs with the broker stopped: it holds the data directory's lock for its whole
 * length, so a broker cannot start meanwhile, and a directory a running broker holds is refused
 * (SPOOL_ERR_DATA_DIR_LOCKED, exit 2).
 */
async function repairDirectory(storage: Storage, flags: CheckFlags) {
  const db = (await lockModule()).openDatabase(flags.dataDir, true, 'spool check --repair');
  let report;
  try {
    report = await storage.repairDataDir(flags.dataDir);
  } finally {
    db.close();
  }
  if (flags.json) return report;
  for (const cut of report.cuts) {
    const lost = cut.lastLostOffset === null ? `offsets from ${cut.firstLostOffset} on lost (the damage hides where they end)` : `offsets ${cut.firstLostOffset}-${cut.lastLostOffset} lost`;
    note(`cut ${cut.topic}/${cut.partition} at ${cut.segment} byte ${cut.position} (${cut.problem}): ${lost}; ${cut.quarantinedBytes} bytes kept in ${cut.quarantine}`);
  }
  for (const index of report.indexes) note(`rebuilt or removed index ${index}`);
  for (const skipped of report.skipped) note(`left ${skipped.topic}/${skipped.partition} alone: ${skipped.reason}`);
  if (report.cuts.length === 0 && report.indexes.length === 0) note('nothing to repair');
  return report;
}

function printScrub(report: Awaited<ReturnType<typeof scrubDirectory>>, repaired: boolean): void {
  note(`checked ${report.partitions} partitions, ${report.segments} segments, ${report.batches} batches, ${report.bytes} bytes`);
  if (report.problems.length > 0) printTable(report.problems as unknown as Array<Record<string, unknown>>, ['topic', 'partition', 'segment', 'position', 'offset', 'problem']);
  else note(repaired ? 'no damage left' : 'no damage found');
}
