/**
 * `spool users|tokens|acl` on a stopped broker's data directory and through a running broker's
 * admin API, and the CLI's credentials (SPOOL_TOKEN, --user with SPOOL_PASSWORD). Passwords come
 * from stdin, never from argv.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type TestBroker } from '../../broker/support/broker.js';
import { type CliRun as Run, runSpool } from '../support/cli.js';

/** The CLI with no credentials of the environment unless given. */
function spool(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const { SPOOL_URL = 'http://127.0.0.1:9292', ...env } = options.env ?? {};
  return runSpool(SPOOL_URL, args, options.input, { SPOOL_TOKEN: '', SPOOL_USER: '', SPOOL_PASSWORD: '', ...env });
}

describe('spool users, tokens and acl', () => {
  let dataDir: string;
  let broker: TestBroker | null = null;
  let aliceToken = '';

  beforeAll(async () => {
    dataDir = join(await mkdtemp(join(tmpdir(), 'spool-cli-security-')), 'data');
  });
  afterAll(async () => {
    await broker?.close(false);
    await rm(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('adds users, tokens and ACLs to a stopped broker\'s data directory (created when missing)', async () => {
    expect(await spool(['users', 'add', 'admin', '--data-dir', dataDir], { input: 'admin pw\n' })).toMatchObject({ code: 0, stdout: 'added user admin\n' });
    expect((await spool(['users', 'add', 'alice', '--data-dir', dataDir], { input: 'alice pw' })).code).toBe(0);
    const token = await spool(['tokens', 'create', 'alice', '--expires-in', '30d', '--data-dir', dataDir]);
    expect(token.code).toBe(0);
    aliceToken = token.stdout.trim();
    expect(aliceToken).toMatch(/^spool_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(token.stderr).toContain('not shown again');
    const acl = await spool(['acl', 'add', '--principal', 'User:alice', '--topic', 'app.', '--prefixed', '--operation', 'write', '--operation', 'Describe', '--data-dir', dataDir]);
    expect(acl).toMatchObject({ code: 0, stdout: 'added 2 ACL entries\n' });
    const users = JSON.parse((await spool(['users', 'list', '--json', '--data-dir', dataDir])).stdout);
    expect(users.map((user: { name: string }) => user.name)).toEqual(['admin', 'alice']);
    const tokens = await spool(['tokens', 'list', '--data-dir', dataDir]);
    expect(tokens.stdout).toContain('alice');
    expect(tokens.stdout).not.toContain(aliceToken.slice('spool_0123456789abcdef_'.length));
    const acls = JSON.parse((await spool(['acl', 'list', '--json', '--data-dir', dataDir])).stdout);
    expect(acls).toHaveLength(2);
    expect(acls[0]).toMatchObject({ principal: 'User:alice', resourceType: 'topic', resourceName: 'app.', patternType: 'prefixed', permission: 'allow' });
  });

  it('refuses a password in argv, an empty password, two resources and an unknown operation as usage errors', async () => {
    expect((await spool(['users', 'add', 'x', '--password', 'pw', '--data-dir', dataDir])).code).toBe(2);
    expect((await spool(['users', 'add', 'x', '--data-dir', dataDir], { input: '\n' })).code).toBe(2);
    expect((await spool(['acl', 'add', '--principal', 'User:x', '--topic', 'a', '--group', 'b', '--operation', 'Read', '--data-dir', dataDir])).code).toBe(2);
    expect((await spool(['acl', 'add', '--principal', 'User:x', '--topic', 'a', '--operation', 'Steal', '--data-dir', dataDir])).code).toBe(2);
    expect((await spool(['tokens', 'create', 'x', '--expires-in', '-5d', '--data-dir', dataDir])).code).toBe(2);
  });

  it('talks to the running broker with SPOOL_TOKEN or --user, and refuses its data directory while it runs', async () => {
    broker = await startBroker({ dataDir, settings: { superUsers: 'User:admin' } });
    const env = { SPOOL_URL: broker.url };
    const refused = await spool(['topics', 'list'], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('SPOOL_ERR_UNAUTHENTICATED');
    const asAlice = { ...env, SPOOL_TOKEN: aliceToken };
    expect((await spool(['topics', 'create', 'app.orders'], { env: { ...env, SPOOL_USER: 'admin', SPOOL_PASSWORD: 'admin pw' } })).code).toBe(0);
    const produced = await spool(['produce', 'app.orders'], { env: asAlice, input: 'one\n' });
    expect(produced.stderr).toContain('produced 1 record');
    const forbidden = await spool(['topics', 'delete', 'app.orders'], { env: asAlice });
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toContain('SPOOL_ERR_FORBIDDEN');
    expect((await spool(['--user', 'admin', 'users', 'add', 'bob'], { env: { ...env, SPOOL_PASSWORD: 'admin pw' }, input: 'bob pw\n' })).stdout).toBe('added user bob\n');
    const list = await spool(['--user', 'admin', 'users', 'list'], { env: { ...env, SPOOL_PASSWORD: 'admin pw' } });
    expect(list.stdout).toContain('bob');
    const locked = await spool(['users', 'list', '--data-dir', dataDir]);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toContain('SPOOL_ERR_DATA_DIR_LOCKED');
  });
});
