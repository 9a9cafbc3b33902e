/** Users, API tokens and ACLs of a running broker (docs/security.md): the /v1/admin routes, typed. */
import { type HttpClient, urlPath as path } from './http.js';

export interface UserSummary {
  name: string;
  createdAt: string;
  mechanisms: string[];
}

export interface TokenSummary {
  id: string;
  user: string;
  description: string;
  createdAt: string;
  expiresAt: string | null;
}

export interface AclEntry {
  principal: string;
  resourceType: 'topic' | 'group' | 'cluster' | 'queue';
  resourceName: string;
  patternType?: 'literal' | 'prefixed';
  operation: string;
  permission: 'allow' | 'deny';
  host?: string;
}

export class SecurityAdmin {
  constructor(private readonly http: HttpClient) {}

  async listUsers(): Promise<UserSummary[]> {
    return (await this.http.json<{ users: UserSummary[] }>({ method: 'GET', path: '/v1/admin/users' })).users;
  }

  /** Adds a user or changes its password; answers whether it was new. */
  async putUser(name: string, password: string, iterations?: number): Promise<boolean> {
    const body = { password, ...(iterations !== undefined ? { iterations } : {}) };
    return (await this.http.json<{ created: boolean }>({ method: 'PUT', path: `/v1/admin/users/${path(name)}`, body }, `add user ${name}`)).created;
  }

  removeUser(name: string): Promise<{ user: string; tokensRevoked: number }> {
    return this.http.json({ method: 'DELETE', path: `/v1/admin/users/${path(name)}` }, `remove user ${name}`);
  }

  async listTokens(): Promise<TokenSummary[]> {
    return (await this.http.json<{ tokens: TokenSummary[] }>({ method: 'GET', path: '/v1/admin/tokens' })).tokens;
  }

  /** Creates a token: its `token` is shown this once. */
  createToken(user: string, options: { description?: string; expiresInMs?: number } = {}): Promise<TokenSummary & { token: string }> {
    return this.http.json({ method: 'POST', path: '/v1/admin/tokens', body: { user, ...options } }, `create a token for ${user}`);
  }

  async revokeToken(id: string): Promise<void> {
    await this.http.json({ method: 'DELETE', path: `/v1/admin/tokens/${path(id)}` }, `revoke token ${id}`);
  }

  async listAcls(filter: { principal?: string; resourceType?: string; resourceName?: string } = {}): Promise<AclEntry[]> {
    return (await this.http.json<{ acls: AclEntry[] }>({ method: 'GET', path: '/v1/admin/acls', query: filter })).acls;
  }

  async addAcls(acls: AclEntry[]): Promise<number> {
    return (await this.http.json<{ added: number }>({ method: 'POST', path: '/v1/admin/acls', body: { acls } }, 'add ACLs')).added;
  }

  async removeAcls(acls: AclEntry[]): Promise<AclEntry[]> {
    return (await this.http.json<{ removed: AclEntry[] }>({ method: 'DELETE', path: '/v1/admin/acls', body: { acls } }, 'remove ACLs')).removed;
  }
}
