/** `spool groups list|describe|lag|reset|delete`. */
import { Command, InvalidArgumentError } from 'commander';
import type { ResetTarget } from '../../types.js';
import type { Connect } from '../connect.js';
import { printJson, printTable } from '../output.js';
import { partitionList } from '../options.js';

/** earliest | latest | <offset> | <ISO time> | shift:<n> */
function resetTarget(value: string): ResetTarget {
  if (value === 'earliest' || value === 'latest') return value;
  if (/^\d+$/.test(value)) return { offset: Number(value) };
  const shift = /^shift:(-?\d+)$/.exec(value);
  if (shift) return { shiftBy: Number(shift[1]) };
  const time = new Date(value);
  if (!Number.isNaN(time.getTime())) return { timestamp: time.getTime() };
  throw new InvalidArgumentError('expected earliest, latest, an offset, an ISO time or shift:<n>');
}

export function groupsCommand(connect: Connect): Command {
  const groups = new Command('groups').description('Consumer groups: list, describe with lag, reset offsets, delete');

  groups
    .command('list')
    .description('Groups with their state, members and total lag')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const list = await connect().admin.listGroups();
      if (flags.json) printJson(list);
      else printTable(list as unknown as Array<Record<string, unknown>>, ['name', 'state', 'members', 'totalLag']);
    });

  const describe = async (group: string, flags: { json?: boolean }, membersToo: boolean) => {
    const description = await connect().admin.describeGroup(group);
    if (flags.json) return printJson(description);
    if (membersToo) {
      process.stdout.write(`group ${description.name} (${description.protocol}): ${description.state}, generation ${description.generation}, ${description.members.length} members, total lag ${description.totalLag}\n\n`);
    }
    printTable(description.partitions as unknown as Array<Record<string, unknown>>, ['topic', 'partition', 'committedOffset', 'highWatermark', 'lag', 'lagMs', 'owner']);
  };

  groups
    .command('describe <group>')
    .description('Members, assignments, committed offsets and lag per partition')
    .option('--json', 'print JSON')
    .action((group: string, flags: { json?: boolean }) => describe(group, flags, true));

  groups
    .command('lag <group>')
    .description('Lag per partition, in records and in time')
    .option('--json', 'print JSON')
    .action((group: string, flags: { json?: boolean }) => describe(group, flags, false));

  groups
    .command('reset <group>')
    .description('Move committed offsets (members pick the change up at their next heartbeat)')
    .requiredOption('-t, --topic <topic>', 'the topic whose offsets move')
    .requiredOption('--to <target>', 'earliest | latest | <offset> | <ISO time> | shift:<n>', resetTarget)
    .option('--partitions <list>', 'only these partitions, e.g. 0,2', partitionList)
    .option('--dry-run', 'show the change without making it')
    .action(async (group: string, flags: { topic: string; to: ResetTarget; partitions?: number[]; dryRun?: boolean }) => {
      const result = await connect().admin.resetGroup(group, { topic: flags.topic, to: flags.to, partitions: flags.partitions, dryRun: flags.dryRun ?? false });
      printTable(result.partitions as unknown as Array<Record<string, unknown>>, ['topic', 'partition', 'previousOffset', 'newOffset']);
      if (result.dryRun) process.stdout.write('(dry run: nothing changed)\n');
    });

  groups
    .command('delete <group>')
    .description('Delete a group without live members, and its offsets')
    .action(async (group: string) => {
      await connect().admin.deleteGroup(group);
      process.stdout.write(`deleted group ${group}\n`);
    });

  return groups;
}
