/**
 * Safe defaults at run time: a broker listening beyond loopback without allowAnonymous refuses to
 * remove its last user or token (removing it would open every route to the network), HTTP and
 * Kafka alike; on loopback, or with allowAnonymous, the last one goes and the broker runs open
 * as it would have started.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildBroker } from '../../../broker/app.js';
import { loadBrokerConfig } from '../../../broker/config.js';
import { brokerLimits } from '../../../broker/limits.js';
import { openDatabase } from '../../../broker/metadata/database.js';
import { Credentials } from '../../../broker/security/credentials.js';
import { call, startBroker } from '../support/broker.js';
import { ADMIN_PASSWORD, admin } from './support.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A broker on `host` whose data directory holds the superuser admin. */
async function brokerWithAdmin(settings: Record<string, unknown>) {
  const dir = await mkdtemp(join(tmpdir(), 'spool-last-principal-'));
  dirs.push(dir);
  const db = openDatabase(dir, true, 'test');
  await new Credentials(db, brokerLimits).putUser('admin', ADMIN_PASSWORD);
  db.close();
  const config = loadBrokerConfig({ values: { kafkaPort: 0, port: 0, dataDir: dir, superUsers: 'User:admin', ...settings } });
  const broker = await buildBroker({ config, logger: false });
  const { port } = await broker.listen();
  return { broker, url: `http://127.0.0.1:${port}` };
}

describe('removing the last user or token', () => {
  it('is refused on a non-loopback listener without allowAnonymous, and requests still need credentials', async () => {
    const { broker, url } = await brokerWithAdmin({ host: '0.0.0.0' });
    try {
      const tokenOf = async (user: string) => (await call(`${url}/v1/admin/tokens`, { method: 'POST', headers: admin, json: { user } })).body as { id: string; token: string };
      const adminToken = await tokenOf('admin');
      // Removing the user admin revokes its token too: nothing would be left.
      const both = await call(`${url}/v1/admin/users/admin`, { method: 'DELETE', headers: { authorization: `Bearer ${adminToken.token}` } });
      expect(both.status).toBe(409);
      expect(both.body.error.code).toBe('SPOOL_ERR_LAST_PRINCIPAL');
      // Others may go while one remains.
      expect((await call(`${url}/v1/admin/tokens/${(await tokenOf('bob')).id}`, { method: 'DELETE', headers: admin })).status).toBe(204);
      expect((await call(`${url}/v1/admin/tokens/${adminToken.id}`, { method: 'DELETE', headers: admin })).status).toBe(204);
      const last = await call(`${url}/v1/admin/users/admin`, { method: 'DELETE', headers: admin });
      expect(last.status).toBe(409);
      expect(last.body.error.code).toBe('SPOOL_ERR_LAST_PRINCIPAL');
      expect((await call(`${url}/v1/topics`)).status).toBe(401);
      expect((await call(`${url}/v1/topics`, { headers: admin })).status).toBe(200);
    } finally {
      await broker.close();
    }
  });

  it('is allowed on loopback and with allowAnonymous: the broker then runs open, as it would start', async () => {
    for (const settings of [{ host: '127.0.0.1' }, { host: '0.0.0.0', allowAnonymous: true }]) {
      const { broker, url } = await brokerWithAdmin(settings);
      try {
        expect((await call(`${url}/v1/admin/users/admin`, { method: 'DELETE', headers: admin })).status, JSON.stringify(settings)).toBe(200);
        expect((await call(`${url}/v1/topics`)).status).toBe(200);
      } finally {
        await broker.close();
      }
    }
  });
});

describe('the embedded broker\'s Kafka listener on a free port', () => {
  it('refuses a non-loopback kafkaHost without users or tokens, as spool serve does', async () => {
    await expect(startBroker({ kafka: true, settings: { kafkaHost: '0.0.0.0' } })).rejects.toMatchObject({ code: 'SPOOL_ERR_INVALID_CONFIG', message: expect.stringContaining('0.0.0.0') });
  });
});
