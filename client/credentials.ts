/**
 * The client's credentials, turned into the one Authorization header every request carries (the
 * HTTP pool's and a live subscription's): an API token (`token`, default SPOOL_TOKEN) as Bearer, or
 * a user and password as Basic. Never put in a URL or a log line.
 */
export interface Credentials {
  /** An API token (`spool tokens create`). Default: the SPOOL_TOKEN environment variable. */
  token?: string;
  /** A user and password (Basic); ignored when a token is given. */
  user?: string;
  password?: string;
}

export function authorizationHeader(credentials: Credentials, env: NodeJS.ProcessEnv = process.env): string | undefined {
  // An empty value (SPOOL_TOKEN= in a script) counts as none, as for every SPOOL_* variable.
  const token = credentials.token || env.SPOOL_TOKEN || undefined;
  if (token !== undefined) return `Bearer ${token}`;
  if (credentials.user) return `Basic ${Buffer.from(`${credentials.user}:${credentials.password ?? ''}`, 'utf8').toString('base64')}`;
  return undefined;
}
