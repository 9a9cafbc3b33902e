/**
 * `spool check --data-dir <dir>`: scrubs a data directory (read-only, the broker may be stopped or
 * running) and reports damaged batches and indexes, including inside sealed segments that recovery
 * does not read. Exit status 1 when anything is damaged. The storage engine is loaded only for this
 * verb: the client itself depends on the codecs alone.
 */
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { ExitCode, note, printJson, printTable } from '../output.js';

export function checkCommand(): Command {
  return new Command('check')
    .description('Scrub a data directory: verify every batch\'s CRC and offsets, and every index')
    .option('-d, --data-dir <dir>', 'the broker\'s data directory (env SPOOL_DATA_DIR)', process.env.SPOOL_DATA_DIR ?? './data')
    .option('--json', 'print the report as JSON')
    .option('--no-progress', 'no progress bar')
    .action(async (flags: { dataDir: string; json?: boolean; progress: boolean }) => {
      const { scrubDataDir } = await import('../../../storage/index.js');
      const bar = flags.progress && process.stderr.isTTY ? new cliProgress.SingleBar({ format: '{bar} {percentage}% | {value}/{total} bytes | {segment}', stream: process.stderr }, cliProgress.Presets.shades_classic) : null;
      let started = false;
      const report = await scrubDataDir(flags.dataDir, {
        onProgress: (progress) => {
          if (!bar) return;
          if (!started) bar.start(progress.bytesTotal, 0, { segment: '' });
          started = true;
          bar.update(progress.bytesDone, { segment: `${progress.topic}/${progress.partition}/${progress.segment}` });
        },
      });
      bar?.stop();
      if (flags.json) printJson(report);
      else {
        note(`checked ${report.partitions} partitions, ${report.segments} segments, ${report.batches} batches, ${report.bytes} bytes`);
        if (report.problems.length > 0) printTable(report.problems as unknown as Array<Record<string, unknown>>, ['topic', 'partition', 'segment', 'position', 'problem']);
        else note('no damage found');
      }
      if (report.problems.length > 0) process.exitCode = ExitCode.failed;
    });
}
