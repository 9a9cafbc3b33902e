/**
 * `spool acl add|remove|list`: ACL entries in Kafka's model (docs/security.md), e.g.
 *   spool acl add --principal User:alice --topic orders --prefixed --operation Read --operation Describe
 *   spool acl add --principal User:ops --cluster --operation All
 */
import { Command, InvalidArgumentError } from 'commander';
import type { AclEntry } from '../../security-admin.js';
import type { Connect } from '../connect.js';
import { printJson, printTable } from '../output.js';
import { addDataDirOption, withSecurity } from './security-backend.js';

const OPERATIONS = ['All', 'Read', 'Write', 'Create', 'Delete', 'Alter', 'Describe', 'DescribeConfigs', 'AlterConfigs'];

interface EntryFlags {
  principal: string;
  topic?: string;
  group?: string;
  queue?: string;
  cluster?: boolean;
  prefixed?: boolean;
  operation: string[];
  deny?: boolean;
  host?: string;
  dataDir?: string;
}

function operation(value: string, previous: string[] = []): string[] {
  const found = OPERATIONS.find((name) => name.toLowerCase() === value.toLowerCase().replace(/_/g, ''));
  if (!found) throw new InvalidArgumentError(`expected one of ${OPERATIONS.join(', ')}, got ${JSON.stringify(value)}`);
  return [...previous, found];
}

function entryOptions(command: Command): Command {
  return addDataDirOption(
    command
      .requiredOption('--principal <principal>', 'User:<name>, or User:* for everyone')
      .option('--topic <name>', 'a topic (* for all)')
      .option('--group <name>', 'a consumer group (* for all)')
      .option('--queue <name>', 'a queue (* for all)')
      .option('--cluster', 'the cluster (topic creation, admin routes, listings)')
      .option('--prefixed', 'the name is a prefix: every resource whose name starts with it')
      .requiredOption('--operation <operation>', `repeatable: ${OPERATIONS.join(', ')}`, operation)
      .option('--deny', 'a deny entry (wins over any allow) instead of an allow')
      .option('--host <ip>', 'only from this client address (default any)'),
  );
}

function entries(flags: EntryFlags): AclEntry[] {
  const resources = [
    ...(flags.topic !== undefined ? [{ resourceType: 'topic' as const, resourceName: flags.topic }] : []),
    ...(flags.group !== undefined ? [{ resourceType: 'group' as const, resourceName: flags.group }] : []),
    ...(flags.queue !== undefined ? [{ resourceType: 'queue' as const, resourceName: flags.queue }] : []),
    ...(flags.cluster ? [{ resourceType: 'cluster' as const, resourceName: 'kafka-cluster' }] : []),
  ];
  if (resources.length !== 1) throw new InvalidArgumentError('name exactly one resource: --topic, --group, --queue or --cluster');
  return flags.operation.map((op) => ({
    principal: flags.principal,
    ...resources[0]!,
    patternType: flags.prefixed ? 'prefixed' : 'literal',
    operation: op,
    permission: flags.deny ? 'deny' : 'allow',
    host: flags.host ?? '*',
  }));
}

export function aclCommand(connect: Connect): Command {
  const acl = new Command('acl').description('Add, remove and list ACL entries (Kafka\'s model: deny wins, no allow means denied)');
  entryOptions(acl.command('add').description('Add ACL entries')).action(async (flags: EntryFlags) => {
    const list = entries(flags);
    const added = await withSecurity(flags.dataDir, connect, 'spool acl add', (backend) => backend.addAcls(list));
    process.stdout.write(`added ${added} ACL entr${added === 1 ? 'y' : 'ies'}\n`);
  });
  entryOptions(acl.command('remove').description('Remove ACL entries (exactly as given)')).action(async (flags: EntryFlags) => {
    const removed = await withSecurity(flags.dataDir, connect, 'spool acl remove', (backend) => backend.removeAcls(entries(flags)));
    process.stdout.write(`removed ${removed.length} ACL entr${removed.length === 1 ? 'y' : 'ies'}\n`);
  });
  addDataDirOption(acl.command('list').description('List ACL entries').option('--principal <principal>', 'only this principal').option('--json', 'print JSON')).action(
    async (flags: { principal?: string; json?: boolean; dataDir?: string }) => {
      const list = await withSecurity(flags.dataDir, connect, 'spool acl list', (backend) => backend.listAcls(flags.principal !== undefined ? { principal: flags.principal } : {}));
      if (flags.json) printJson(list);
      else printTable(list as unknown as Array<Record<string, unknown>>, ['principal', 'permission', 'operation', 'resourceType', 'patternType', 'resourceName', 'host']);
    },
  );
  return acl;
}
