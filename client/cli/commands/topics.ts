/** `spool topics create|list|describe|delete|config|clean`. */
import { Command } from 'commander';
import type { TopicConfig } from '../../types.js';
import { printJson, printTable } from '../output.js';
import { configPair, positiveInteger } from '../options.js';
import type { Connect } from '../connect.js';

export function topicsCommand(connect: Connect): Command {
  const topics = new Command('topics').description('Create, list, describe, configure, clean and delete topics');

  topics
    .command('create <name>')
    .description('Create a topic')
    .option('-p, --partitions <n>', 'number of partitions', positiveInteger, 1)
    .option('-c, --config <key=value>', 'a config key (repeatable), e.g. retentionMs=86400000', configPair, {})
    .action(async (name: string, flags: { partitions: number; config: TopicConfig }) => {
      const created = await connect().admin.createTopic({ name, partitions: flags.partitions, config: flags.config });
      process.stdout.write(`created topic ${created.name} with ${created.partitions} partition${created.partitions === 1 ? '' : 's'}\n`);
    });

  topics
    .command('list')
    .description('List topics')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const list = await connect().admin.listTopics();
      if (flags.json) printJson(list);
      else printTable(list as unknown as Array<Record<string, unknown>>, ['name', 'partitions']);
    });

  topics
    .command('describe <name>')
    .description('Config and, per partition, start offset, high watermark, bytes and segments')
    .option('--json', 'print JSON')
    .action(async (name: string, flags: { json?: boolean }) => {
      const description = await connect().admin.describeTopic(name);
      if (flags.json) return printJson(description);
      process.stdout.write(`topic ${description.name}, ${description.partitions} partitions, created ${description.createdAt}\n`);
      process.stdout.write(`config ${JSON.stringify(description.config)}\n\n`);
      printTable(description.partitionDetails as unknown as Array<Record<string, unknown>>, ['partition', 'logStartOffset', 'highWatermark', 'bytes', 'segments']);
    });

  topics
    .command('delete <name>')
    .description('Delete a topic and its data')
    .action(async (name: string) => {
      await connect().admin.deleteTopic(name);
      process.stdout.write(`deleted topic ${name}\n`);
    });

  topics
    .command('config <name> [settings...]')
    .description('Show a topic\'s config, or change keys: spool topics config orders retentionMs=3600000')
    .action(async (name: string, settings: string[]) => {
      const admin = connect().admin;
      if (settings.length === 0) return printJson((await admin.describeTopic(name)).config);
      const changes = settings.reduce<Record<string, unknown>>((all, setting) => configPair(setting, all), {});
      printJson((await admin.setTopicConfig(name, changes as TopicConfig)).config);
    });

  topics
    .command('clean <name>')
    .description('Run retention, compaction and the stream cleaner of a topic now, and show what they deleted, compacted and removed')
    .option('--json', 'print JSON')
    .action(async (name: string, flags: { json?: boolean }) => {
      const cleaning = await connect().admin.cleanTopic(name);
      if (flags.json) return printJson(cleaning);
      const rows = cleaning.partitions.map(({ compaction, streams, ...partition }) => ({
        ...partition,
        recordsDropped: compaction?.recordsDropped ?? 0,
        bytesFreed: compaction ? compaction.bytesBefore - compaction.bytesAfter : 0,
        hiddenEventsRemoved: streams?.recordsDropped ?? 0,
      }));
      const columns = ['partition', 'segmentsDeleted', 'logStartOffsetBefore', 'logStartOffset', 'recordsDropped', 'bytesFreed', 'sealedSegments'];
      printTable(rows, cleaning.partitions.some((partition) => partition.streams) ? [...columns, 'hiddenEventsRemoved'] : columns);
    });

  return topics;
}
