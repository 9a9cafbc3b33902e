/** `spool users add|remove|list` and `spool tokens create|revoke|list` (docs/security.md). */
import { Command } from 'commander';
import type { Connect } from '../connect.js';
import { duration, positiveInteger } from '../options.js';
import { printJson, printTable } from '../output.js';
import { readPassword } from '../password.js';
import { addDataDirOption, withSecurity } from './security-backend.js';

interface Flags {
  dataDir?: string;
  json?: boolean;
}

export function usersCommand(connect: Connect): Command {
  const users = new Command('users').description('Add, remove and list users (passwords kept as SCRAM-SHA-256/512 keys)');
  addDataDirOption(
    users
      .command('add <name>')
      .description('Add a user, or change its password: typed at a prompt, or the first line of stdin (never an argument)')
      .option('--iterations <n>', 'PBKDF2 iterations of the SCRAM keys (4096-16384)', positiveInteger),
  ).action(async (name: string, flags: Flags & { iterations?: number }) => {
    const password = await readPassword(`Password for ${name}: `);
    const created = await withSecurity(flags.dataDir, connect, 'spool users add', (backend) => backend.putUser(name, password, flags.iterations));
    process.stdout.write(`${created ? 'added user' : 'changed the password of'} ${name}\n`);
  });
  addDataDirOption(users.command('remove <name>').description('Remove a user and revoke its tokens')).action(async (name: string, flags: Flags) => {
    const removed = await withSecurity(flags.dataDir, connect, 'spool users remove', (backend) => backend.removeUser(name));
    process.stdout.write(`removed user ${name} (${removed.tokensRevoked} token${removed.tokensRevoked === 1 ? '' : 's'} revoked)\n`);
  });
  addDataDirOption(users.command('list').description('List users').option('--json', 'print JSON')).action(async (flags: Flags) => {
    const list = await withSecurity(flags.dataDir, connect, 'spool users list', (backend) => backend.listUsers());
    if (flags.json) printJson(list);
    else printTable(list.map((user) => ({ ...user, mechanisms: user.mechanisms.join(',') })), ['name', 'mechanisms', 'createdAt']);
  });
  return users;
}

export function tokensCommand(connect: Connect): Command {
  const tokens = new Command('tokens').description('Create, revoke and list API tokens (stored hashed; shown once)');
  addDataDirOption(
    tokens
      .command('create <user>')
      .description('Create a token that authenticates as <user>; it is printed this once')
      .option('--expires-in <duration>', 'lifetime: 30d, 12h, 15m, 90s, 500ms (default: until revoked)', duration)
      .option('--description <text>', 'what the token is for')
      .option('--json', 'print JSON'),
  ).action(async (user: string, flags: Flags & { expiresIn?: number; description?: string }) => {
    const created = await withSecurity(flags.dataDir, connect, 'spool tokens create', (backend) => backend.createToken(user, { expiresInMs: flags.expiresIn, description: flags.description }));
    if (flags.json) return printJson(created);
    process.stdout.write(`${created.token}\n`);
    process.stderr.write(`token ${created.id} for ${created.user}${created.expiresAt ? `, expires ${created.expiresAt}` : ''}: copy it now, it is not shown again\n`);
  });
  addDataDirOption(tokens.command('revoke <id>').description('Revoke a token by its id')).action(async (id: string, flags: Flags) => {
    await withSecurity(flags.dataDir, connect, 'spool tokens revoke', (backend) => backend.revokeToken(id));
    process.stdout.write(`revoked token ${id}\n`);
  });
  addDataDirOption(tokens.command('list').description('List tokens (ids, users, expiry; never secrets)').option('--json', 'print JSON')).action(async (flags: Flags) => {
    const list = await withSecurity(flags.dataDir, connect, 'spool tokens list', (backend) => backend.listTokens());
    if (flags.json) printJson(list);
    else printTable(list.map((token) => ({ ...token, expiresAt: token.expiresAt ?? 'never' })), ['id', 'user', 'expiresAt', 'createdAt', 'description']);
  });
  return tokens;
}
