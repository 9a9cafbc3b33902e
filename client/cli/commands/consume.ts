/**
 * `spool consume <topic>`: prints records, one per line, as JSON (`--format json`) or just their
 * values (`--format value`). Without a group it reads every partition from `--from`; with
 * `--group` it joins the group, starts from the committed offsets and commits what it printed.
 * It stops at the end of the topic as it was when it started, after `--max` records, or never
 * with `--follow` (Ctrl-C stops it and commits).
 */
import { Command, Option } from 'commander';
import type { Message } from '../../consumer/message.js';
import type { Spool } from '../../spool.js';
import type { Connect } from '../connect.js';
import { positiveInteger, type StartPoint, startPoint } from '../options.js';

interface ConsumeFlags {
  group?: string;
  from?: StartPoint;
  max?: number;
  follow?: boolean;
  format: 'json' | 'value';
  partition?: number;
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

/** Per partition, the offset where "the end" is: the high watermark when the command started. */
async function endOffsets(spool: Spool, topic: string): Promise<Map<number, number>> {
  const description = await spool.admin.describeTopic(topic);
  return new Map(description.partitionDetails.map((detail) => [detail.partition, detail.highWatermark]));
}

/** Partitions that have nothing to read before the end, given where reading starts. */
async function alreadyAtEnd(spool: Spool, topic: string, ends: Map<number, number>, flags: ConsumeFlags): Promise<Set<number>> {
  const done = new Set<number>();
  const committed = flags.group ? new Map((await spool.admin.committedOffsets(flags.group)).filter((entry) => entry.topic === topic).map((entry) => [entry.partition, entry.offset])) : new Map<number, number>();
  for (const [partition, end] of ends) {
    if (flags.partition !== undefined && partition !== flags.partition) {
      done.add(partition);
      continue;
    }
    const { earliest } = await spool.admin.offsets(topic, partition);
    let start: number;
    const from = flags.from ?? 'earliest';
    if (committed.has(partition)) start = committed.get(partition)!;
    else if (from === 'earliest') start = earliest;
    else if (from === 'latest') start = end;
    else if (from instanceof Date) start = await spool.admin.offsetForTimestamp(topic, partition, from.getTime());
    else start = from;
    if (start >= end) done.add(partition);
  }
  return done;
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
    .action(async (topic: string, flags: ConsumeFlags) => {
      const spool = connect();
      if (flags.group && flags.partition !== undefined) throw new Error('--partition cannot be used with --group: the group assigns partitions');
      if (flags.group && (typeof flags.from === 'number' || flags.from instanceof Date)) {
        throw new Error('with --group, --from is earliest or latest (for partitions without a committed offset); use `spool groups reset` to move offsets');
      }
      const ends = await endOffsets(spool, topic);
      const finished = flags.follow ? new Set<number>() : await alreadyAtEnd(spool, topic, ends, flags);
      const consumer = spool.consumer({
        ...(flags.group
          ? { groupId: flags.group, offsetReset: (flags.from as 'earliest' | 'latest' | undefined) ?? 'earliest' }
          : { from: flags.from ?? 'earliest', partitions: flags.partition === undefined ? undefined : [flags.partition] }),
        topics: [topic],
        maxWaitMs: 500,
      });
      let printed = 0;
      let stop: () => void = () => undefined;
      const stopped = new Promise<void>((resolve) => (stop = resolve));
      const isDone = () => (flags.max !== undefined && printed >= flags.max) || (!flags.follow && finished.size >= ends.size);
      if (isDone()) stop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await consumer.run({
        eachMessage: (message) => {
          process.stdout.write(`${formatMessage(message, flags.format)}\n`);
          printed++;
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
      await consumer.close();
    });
}
