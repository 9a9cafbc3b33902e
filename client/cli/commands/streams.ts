/** `spool streams append|read|info|list|metadata|delete|erase`: event-sourcing streams of a topic with streamIndex. */
import { createInterface } from 'node:readline';
import { Command, InvalidArgumentError } from 'commander';
import type { ExpectedVersion, StreamEventInput } from '../../streams.js';
import type { Connect } from '../connect.js';
import { positiveInteger } from '../options.js';
import { printJson, UsageError, writeOut } from '../output.js';

function expectedVersionOption(value: string): ExpectedVersion {
  if (value === 'any' || value === 'no_stream' || value === 'exists') return value;
  if (/^[0-9]{1,15}$/.test(value)) return Number(value);
  throw new InvalidArgumentError('a version (0, 1, ...), any, no_stream or exists');
}

function jsonOption(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new InvalidArgumentError('not JSON');
  }
}

/** One event a line from stdin: {"type": ..., "data": ..., "metadata"?: ..., "id"?: ...}. */
async function eventsFromStdin(): Promise<StreamEventInput[]> {
  const events: StreamEventInput[] = [];
  let line = 0;
  for await (const text of createInterface({ input: process.stdin })) {
    line++;
    if (text.trim() === '') continue;
    try {
      events.push(JSON.parse(text) as StreamEventInput);
    } catch {
      throw new UsageError(`stdin line ${line} is not a JSON event`);
    }
  }
  return events;
}

interface AppendFlags {
  type?: string;
  data?: unknown;
  metadata?: Record<string, unknown>;
  id?: string;
  expectedVersion: ExpectedVersion;
}

export function streamsCommand(connect: Connect): Command {
  const streams = new Command('streams').description('Event-sourcing streams of a topic created with streamIndex=true');

  streams
    .command('append <topic> <stream>')
    .description('Append one event (--type, --data) or the JSON events on stdin, one a line, as one batch')
    .option('-t, --type <type>', 'the event type')
    .option('-d, --data <json>', 'the event data (JSON)', jsonOption)
    .option('-m, --metadata <json>', 'the event metadata (a JSON object)', jsonOption)
    .option('--id <id>', 'the event id (retries with the same id are idempotent)')
    .option('-e, --expected-version <version>', 'a version, any, no_stream or exists', expectedVersionOption, 'any')
    .action(async (topic: string, stream: string, flags: AppendFlags) => {
      if (flags.type === undefined && (flags.data !== undefined || flags.id !== undefined || flags.metadata !== undefined)) throw new UsageError('--data, --metadata and --id describe one event given with --type');
      const events = flags.type !== undefined ? [{ type: flags.type, data: flags.data ?? null, ...(flags.metadata ? { metadata: flags.metadata } : {}), ...(flags.id ? { id: flags.id } : {}) }] : await eventsFromStdin();
      if (events.length === 0) throw new UsageError('no event: give --type (and --data), or events on stdin');
      printJson(await connect().streams(topic).append(stream, events, { expectedVersion: flags.expectedVersion }));
    });

  streams
    .command('read <topic> <stream>')
    .description('Print a stream\'s events, one JSON object a line, oldest first (or newest first with --backward)')
    .option('-f, --from <version>', 'a version, start or end')
    .option('-b, --backward', 'newest first')
    .option('-n, --limit <n>', 'at most this many events', positiveInteger)
    .action(async (topic: string, stream: string, flags: { from?: string; backward?: boolean; limit?: number }) => {
      const from = flags.from === undefined || flags.from === 'start' || flags.from === 'end' ? flags.from : expectedVersionOption(flags.from);
      if (typeof from === 'string' && from !== 'start' && from !== 'end') throw new UsageError('--from is a version, start or end');
      const events = connect().streams(topic).read(stream, { ...(from !== undefined ? { from } : {}), direction: flags.backward ? 'backward' : 'forward', ...(flags.limit ? { limit: flags.limit } : {}) });
      for await (const event of events) await writeOut(`${JSON.stringify(event)}\n`);
    });

  streams
    .command('info <topic> <stream>')
    .description('A stream\'s version, event count, partition and first/last offset')
    .action(async (topic: string, stream: string) => printJson(await connect().streams(topic).describe(stream)));

  streams
    .command('list <topic>')
    .description('Stream ids of a topic')
    .option('-p, --prefix <prefix>', 'only ids starting with this')
    .action(async (topic: string, flags: { prefix?: string }) => {
      const page = await connect().streams(topic).list(flags.prefix ? { prefix: flags.prefix } : {});
      for (const id of page.streams) await writeOut(`${id}\n`);
      if (page.more) process.stderr.write('(more streams match: narrow the prefix)\n');
    });

  streams
    .command('metadata <topic> <stream>')
    .description('Print a stream\'s metadata, or replace it with the flags given (reads then skip the events it hides)')
    .option('--max-count <n>', 'only the last n events are visible', positiveInteger)
    .option('--max-age-ms <ms>', 'events older than this are hidden', positiveInteger)
    .option('--truncate-before <version>', 'events below this version are hidden', positiveInteger)
    .option('--clear', 'remove every setting')
    .action(async (topic: string, stream: string, flags: { maxCount?: number; maxAgeMs?: number; truncateBefore?: number; clear?: boolean }) => {
      const settings = {
        ...(flags.maxCount !== undefined ? { maxCount: flags.maxCount } : {}),
        ...(flags.maxAgeMs !== undefined ? { maxAgeMs: flags.maxAgeMs } : {}),
        ...(flags.truncateBefore !== undefined ? { truncateBefore: flags.truncateBefore } : {}),
      };
      const setting = Object.keys(settings).length > 0;
      if (setting && flags.clear) throw new UsageError('--clear removes every setting: give it alone');
      const client = connect().streams(topic);
      printJson(setting || flags.clear ? await client.setMetadata(stream, settings) : await client.metadata(stream));
    });

  streams
    .command('delete <topic> <stream>')
    .description('Soft-delete a stream: it reads empty and is written again from the next version')
    .action(async (topic: string, stream: string) => printJson(await connect().streams(topic).delete(stream)));

  streams
    .command('erase <topic> <stream>')
    .description('Erase a stream for good (GDPR): its id is refused from now on, the broker removes every record of it from disk')
    .action(async (topic: string, stream: string) => printJson(await connect().streams(topic).erase(stream)));

  return streams;
}
