/**
 * Users, tokens and ACLs of a stopped broker, for `spool users|tokens|acl --data-dir`: opens
 * spool.db holding the data directory's lock (metadata/database.ts), so it refuses with
 * SPOOL_ERR_DATA_DIR_LOCKED while a broker runs there (use the admin routes then). The directory is
 * created when missing: the first user is usually added before the first start.
 */
import { mkdirSync } from 'node:fs';
import { brokerLimits } from '../limits.js';
import { openDatabase } from '../metadata/database.js';
import { type AclEntry, WILDCARD } from './acl.js';
import { type AclFilter, Authorizer } from './authorizer.js';
import { Credentials, type TokenOptions } from './credentials.js';
import type { TokenInfo } from '../metadata/token-store.js';
import type { UserInfo } from '../metadata/user-store.js';

type AclInput = Omit<AclEntry, 'patternType' | 'host'> & Partial<AclEntry>;

/** What `spool users|tokens|acl` do, the same shapes as the client's SecurityAdmin answers. */
export interface LocalSecurity {
  listUsers(): Promise<UserInfo[]>;
  putUser(name: string, password: string, iterations?: number): Promise<boolean>;
  removeUser(name: string): Promise<{ user: string; tokensRevoked: number }>;
  listTokens(): Promise<TokenInfo[]>;
  createToken(user: string, options?: TokenOptions): Promise<TokenInfo & { token: string }>;
  revokeToken(id: string): Promise<void>;
  listAcls(filter?: AclFilter): Promise<AclEntry[]>;
  addAcls(entries: AclInput[]): Promise<number>;
  removeAcls(entries: AclInput[]): Promise<AclEntry[]>;
  close(): Promise<void>;
}

export function openLocalSecurity(dataDir: string, purpose: string): LocalSecurity {
  mkdirSync(dataDir, { recursive: true });
  const db = openDatabase(dataDir, true, purpose);
  const credentials = new Credentials(db, brokerLimits);
  // Superusers are a setting of the running broker; ACL management needs none of them here.
  const authorizer = new Authorizer(db, '', brokerLimits);
  const complete = (entries: AclInput[]): AclEntry[] => entries.map((entry) => ({ ...entry, patternType: entry.patternType ?? 'literal', host: entry.host ?? WILDCARD }));
  return {
    listUsers: async () => credentials.listUsers(),
    putUser: (name: string, password: string, iterations?: number) => credentials.putUser(name, password, iterations),
    removeUser: async (name: string) => ({ user: name, ...credentials.removeUser(name) }),
    listTokens: async () => credentials.listTokens(),
    createToken: async (user: string, options: TokenOptions = {}) => credentials.createToken(user, options),
    revokeToken: async (id: string) => credentials.revokeToken(id),
    listAcls: async (filter: AclFilter = {}) => authorizer.list(filter),
    addAcls: async (entries: AclInput[]) => authorizer.add(complete(entries)),
    removeAcls: async (entries: AclInput[]) => authorizer.remove(complete(entries)),
    close: async () => {
      db.close();
    },
  };
}
