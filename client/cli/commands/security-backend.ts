/**
 * Where `spool users|tokens|acl` act: with `--data-dir`, on a stopped broker's spool.db (the
 * broker's own code, loaded only for these verbs: the client depends on storage codecs alone);
 * otherwise through the admin routes of the broker at --url, with the CLI's credentials.
 */
import type { Command } from 'commander';
import type { SecurityAdmin } from '../../security-admin.js';
import type { Connect } from '../connect.js';

/** The admin API's methods; the broker's LocalSecurity answers the same shapes. */
export type SecurityBackend = Pick<SecurityAdmin, 'listUsers' | 'putUser' | 'removeUser' | 'listTokens' | 'createToken' | 'revokeToken' | 'listAcls' | 'addAcls' | 'removeAcls'> & { close(): Promise<void> };

export function addDataDirOption(command: Command): Command {
  return command.option('-d, --data-dir <dir>', 'act on this data directory of a stopped broker instead of the running broker at --url');
}

export async function securityBackend(dataDir: string | undefined, connect: Connect, purpose: string): Promise<SecurityBackend> {
  if (dataDir !== undefined) {
    const { openLocalSecurity } = await import('../../../broker/security/offline.js');
    const local: SecurityBackend = openLocalSecurity(dataDir, purpose);
    return local;
  }
  const security = connect().security;
  // The admin's methods as they are; close() leaves the CLI's one connection to main.ts, which closes it on exit.
  return Object.assign(Object.create(security) as SecurityAdmin, { close: async () => {} });
}

/** Runs `action` against the backend and closes it whatever happens. */
export async function withSecurity<T>(dataDir: string | undefined, connect: Connect, purpose: string, action: (backend: SecurityBackend) => Promise<T>): Promise<T> {
  const backend = await securityBackend(dataDir, connect, purpose);
  try {
    return await action(backend);
  } finally {
    await backend.close();
  }
}
