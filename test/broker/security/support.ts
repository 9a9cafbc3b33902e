/** A broker that requires credentials: `admin` is a superuser with a password, made through the admin API. */
import { call, startBroker, type StartOptions, type TestBroker } from '../support/broker.js';

export const ADMIN_PASSWORD = 'admin secret';

export function basic(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export const admin = basic('admin', ADMIN_PASSWORD);

export async function startSecuredBroker(options: StartOptions = {}): Promise<TestBroker> {
  const t = await startBroker({ ...options, settings: { superUsers: 'User:admin', ...options.settings } });
  // The first user is added while the broker is still open (loopback, no principals).
  const added = await call(`${t.url}/v1/admin/users/admin`, { method: 'PUT', json: { password: ADMIN_PASSWORD } });
  if (added.status !== 200) throw new Error(`adding admin: ${added.status} ${JSON.stringify(added.body)}`);
  return t;
}

/** A token for `user` made by the admin. */
export async function tokenFor(url: string, user: string, extra: Record<string, unknown> = {}): Promise<{ token: string; id: string }> {
  const answer = await call(`${url}/v1/admin/tokens`, { method: 'POST', headers: admin, json: { user, ...extra } });
  if (answer.status !== 200) throw new Error(`token: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

export async function grant(url: string, acls: Array<Record<string, unknown>>): Promise<void> {
  const answer = await call(`${url}/v1/admin/acls`, { method: 'POST', headers: admin, json: { acls } });
  if (answer.status !== 200) throw new Error(`grant: ${answer.status} ${JSON.stringify(answer.body)}`);
}
