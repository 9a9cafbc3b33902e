/**
 * User:ANONYMOUS is what an open broker's requests run as: no user or token may take the name, and
 * a principal named so (a data directory from before the rule) is authorized like any other,
 * never waved through as the open broker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../broker/metadata/database.js';
import { TokenStore } from '../../../broker/metadata/token-store.js';
import { call, type TestBroker } from '../support/broker.js';
import { admin, bearer, startSecuredBroker } from './support.js';

describe('the reserved principal ANONYMOUS', () => {
  let t: TestBroker;

  beforeAll(async () => {
    t = await startSecuredBroker();
    await call(`${t.url}/v1/topics`, { method: 'POST', headers: admin, json: { name: 'orders', partitions: 1 } });
  });
  afterAll(() => t.close());

  it('refuses a user or a token named ANONYMOUS, in any case', async () => {
    for (const name of ['ANONYMOUS', 'anonymous']) {
      const user = await call(`${t.url}/v1/admin/users/${name}`, { method: 'PUT', headers: admin, json: { password: 'pw' } });
      expect(user.status, name).toBe(400);
      expect(user.body.error).toMatchObject({ code: 'SPOOL_ERR_INVALID_PRINCIPAL', field: 'user' });
      const token = await call(`${t.url}/v1/admin/tokens`, { method: 'POST', headers: admin, json: { user: name } });
      expect(token.status, name).toBe(400);
      expect(token.body.error.code).toBe('SPOOL_ERR_INVALID_PRINCIPAL');
    }
  });

  it('authorizes a principal named ANONYMOUS that is already in spool.db like any other', async () => {
    await t.close(false);
    const db = openDatabase(t.dataDir, true, 'test');
    const { token } = new TokenStore(db).create('ANONYMOUS');
    db.close();
    t = await t.restart();
    for (const [method, path] of [['GET', '/v1/topics/orders'], ['DELETE', '/v1/topics/orders'], ['GET', '/v1/admin/users']]) {
      const answer = await call(`${t.url}${path}`, { method, headers: bearer(token) });
      expect(answer.status, `${method} ${path}`).toBe(403);
    }
  });
});
