/**
 * `spool consume <topic>`: prints records, one per line, as JSON (`--format json`) or just their
 * values (`--format value`). Without a group it reads every partition from `--from`; with
 * `--group` it joins the group, starts from the committed offsets and commits what it printed.
 * It stops at the end of the topic as it was when it started, after `--max` records, or never
 * with `--follow` (Ctrl-C stops it and commits), or when the reader of its output goes away.
 * Reading a known range into a pipe or file, it shows progress on a terminal's stderr.
 */
import { Command, Option } from 'commander';
import type { Message } from '../../consumer/message.js';
import type { Spool } from '../../spool.js';
import type { Connect } from '../connect.js';
import { positiveInteger, type StartPoint, startPoint } from '../options.js';
import { isStdoutClosed, note, onStdoutClosed, UsageError, writeOut } from '../output.js';
import { progressBar, type ProgressFlag } from '../progress.js';
import { pastTheEnd, planRead } from './consume-plan.js';

interface ConsumeFlags {
  group?: string;
  from?: StartPoint;
  max?: number;
  follow?: boolean;
  format: 'json' | 'value';
  partition?: number;
  progress: ProgressFlag;
}

export function formatMessage(message: Message, format: 'json' | 'value'): string {
  const { value, rawValue } = message;
  const isBytes = Buffer.isBuffer(value);
  if (format === 'value') {
    if (value === null) return '';
    if (typeof value === 'string') return value;
    return isBytes ? value.toString('utf8') : JSON.stringify(value);
  }
  return JSON.stringify({
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    timestamp: new Date(message.timestamp).toISOString(),
    key: message.key,
    ...(isBytes ? { valueBase64: rawValue?.toString('base64') ?? null } : { value }),
    headers: message.headers,
  });
}

export function consumeCommand(connect: Connect): Command {
  return new Command('consume')
    .argument('<topic>')
    .description('Print records of a topic, from an offset or time, or as a group member')
    .option('-g, --group <group>', 'consume as a member of this group (committed offsets, partitions shared)')
    .option('--from <where>', 'earliest | latest | <offset> | <ISO time> (a group: only where nothing is committed)', startPoint)
    .option('-n, --max <n>', 'stop after this many records', positiveInteger)
    .option('-F, --follow', 'keep waiting for new records')
    .addOption(new Option('--format <format>', 'json: one object a line; value: the value only').choices(['json', 'value']).default('json'))
    .option('-p, --partition <n>', 'only this partition (not with --group)', positiveInteger)
    .option('--progress', 'show progress (records, records/s, lag left) even when stderr is not a terminal')
    .option('--no-progress', 'no progress (shown by default on a terminal when stdout is not one, without --follow)')
    .action(async (topic: string, flags: ConsumeFlags) => {
      checkFlags(flags);
      await consume(connect(), topic, flags);
    });
}

function checkFlags(flags: ConsumeFlags): void {
  if (flags.group && flags.partition !== undefined) throw new UsageError('--partition cannot be used with --group: the group assigns partitions');
  if (flags.group && (typeof flags.from === 'number' || flags.from instanceof Date)) {
    throw new UsageError('with --group, --from is earliest or latest (for partitions without a committed offset); use `spool groups reset` to move offsets');
  }
}

async function consume(spool: Spool, topic: string, flags: ConsumeFlags): Promise<void> {
  const plan = await planRead(spool, topic, flags);
  if (flags.partition !== undefined && plan.ranges.length === 0) throw new UsageError(`topic ${topic} has no partition ${flags.partition}`);
  const from = flags.from;
  const beyond = pastTheEnd(plan, from);
  for (const range of beyond) {
    note(`spool: --from ${String(from)} is past the end of ${topic}/${range.partition} (it ends at offset ${range.end}): ${flags.follow ? 'waiting for it' : 'nothing to print there; --follow waits for it'}`);
  }
  const finished = new Set(flags.follow ? [] : plan.ranges.filter((range) => range.start >= range.end).map((range) => range.partition));
  const ends = new Map(plan.ranges.map((range) => [range.partition, range.end]));
  const consumer = spool.consumer({
    ...(flags.group
      ? { groupId: flags.group, offsetReset: (from as 'earliest' | 'latest' | undefined) ?? 'earliest' }
      // An offset past the end is refused by the broker until it exists: the reader then resets to
      // the end, and records below the offset asked for are skipped. One below the log start
      // (deleted by retention) resets to the log start.
      : { from: from ?? 'earliest', offsetReset: beyond.length > 0 ? ('latest' as const) : ('earliest' as const), partitions: flags.partition === undefined ? undefined : [flags.partition] }),
    topics: [topic],
    maxWaitMs: 500,
  });
  const total = Math.min(plan.total, flags.max ?? Number.MAX_SAFE_INTEGER);
  const showProgress = flags.follow || total === 0 ? false : (flags.progress ?? (process.stdout.isTTY ? false : undefined));
  const bar = progressBar(showProgress, '{bar} {percentage}% | {value}/{total} records | {rate} records/s | lag {lag}', total, { rate: 0, lag: total });
  const startedAt = performance.now();
  let printed = 0;
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const isDone = () => (flags.max !== undefined && printed >= flags.max) || (!flags.follow && finished.size >= plan.ranges.length) || isStdoutClosed();
  const figures = () => ({ rate: Math.round(printed / Math.max(0.001, (performance.now() - startedAt) / 1000)), lag: Math.max(0, total - printed) });
  if (isDone()) stop();
  const unsubscribe = onStdoutClosed(stop);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await consumer.run({
    eachMessage: async (message) => {
      if (typeof from === 'number' && !flags.group && message.offset < from) return;
      try {
        await writeOut(`${formatMessage(message, flags.format)}\n`);
      } catch (error) {
        // The reader went away: this record was not delivered, so it is not handled either (the
        // throw leaves it unmarked), and a group does not commit it.
        consumer.pause([{ topic }]);
        stop();
        throw error;
      }
      printed++;
      bar?.update(printed, figures());
      if (!flags.follow && message.offset + 1 >= (ends.get(message.partition) ?? 0)) finished.add(message.partition);
      if (isDone()) {
        // Paused, the consumer hands out nothing more: what follows stays unhandled (and
        // uncommitted) for the next reader.
        consumer.pause([{ topic }]);
        stop();
      }
    },
  });
  await stopped;
  bar?.finish(printed, figures());
  await consumer.close();
  unsubscribe();
}
