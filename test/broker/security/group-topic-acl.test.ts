/**
 * HTTP group routes that touch a topic's offsets check the topic too, as Kafka's OffsetCommit does:
 * Read on the group alone does not let a principal commit or reset (or dry-run reset) offsets of a
 * topic it has no ACL for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type TestBroker } from '../support/broker.js';
import { admin, bearer, grant, startSecuredBroker, tokenFor } from './support.js';

describe('group offsets and topic ACLs', () => {
  let t: TestBroker;
  let mallory: string;

  beforeAll(async () => {
    t = await startSecuredBroker();
    mallory = (await tokenFor(t.url, 'mallory')).token;
    for (const name of ['secret', 'mine']) await call(`${t.url}/v1/topics`, { method: 'POST', headers: admin, json: { name, partitions: 1 } });
    await call(`${t.url}/v1/topics/secret/records`, { method: 'POST', headers: admin, json: { records: [{ valueString: 'x' }, { valueString: 'y' }] } });
    await grant(t.url, [
      { principal: 'User:mallory', resourceType: 'group', resourceName: 'g1', operation: 'Read', permission: 'allow' },
      { principal: 'User:mallory', resourceType: 'topic', resourceName: 'mine', operation: 'Read', permission: 'allow' },
    ]);
  });
  afterAll(() => t.close());

  it('refuses a commit naming a topic without Read, even beside an allowed one', async () => {
    const path = `${t.url}/v1/groups/g1/offsets`;
    const refused = await call(path, { method: 'POST', headers: bearer(mallory), json: { offsets: [{ topic: 'mine', partition: 0, offset: 0 }, { topic: 'secret', partition: 0, offset: 1 }] } });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'SPOOL_ERR_FORBIDDEN', operation: 'Read', resourceType: 'topic', resource: 'secret' });
    expect((await call(path, { method: 'POST', headers: bearer(mallory), json: { offsets: [{ topic: 'mine', partition: 0, offset: 0 }] } })).status).toBeLessThan(300);
  });

  it('refuses a reset, a dry run included, of a topic without Read', async () => {
    for (const dryRun of [true, false]) {
      const refused = await call(`${t.url}/v1/groups/g1/reset`, { method: 'POST', headers: bearer(mallory), json: { topic: 'secret', to: 'earliest', dryRun } });
      expect(refused.status, `dryRun ${dryRun}`).toBe(403);
      expect(refused.body.error).toMatchObject({ operation: 'Read', resourceType: 'topic', resource: 'secret' });
    }
  });

  it('hides topics without Describe from a pattern join\'s assignments and from the group\'s description', async () => {
    // Committed while the group has no live member (an admin commit), so the group knows the topic.
    expect((await call(`${t.url}/v1/groups/g1/offsets`, { method: 'POST', headers: admin, json: { offsets: [{ topic: 'secret', partition: 0, offset: 1 }] } })).status).toBe(200);
    const joined = await call(`${t.url}/v1/groups/g1/members`, { method: 'POST', headers: bearer(mallory), json: { pattern: '#' } });
    expect(joined.status).toBe(200);
    const beat = await call(`${t.url}/v1/groups/g1/members/${joined.body.memberId}/heartbeat`, { method: 'POST', headers: bearer(mallory) });
    const topicsOf = (rows: Array<{ topic: string }>) => [...new Set(rows.map((row) => row.topic))];
    for (const view of [joined.body, beat.body]) expect(topicsOf([...view.assignments, ...view.revoke])).not.toContain('secret');
    const described = await call(`${t.url}/v1/groups/g1`, { headers: bearer(mallory) });
    expect(described.status).toBe(200);
    expect(topicsOf(described.body.partitions)).toEqual(['mine']);
    expect(topicsOf(described.body.members.flatMap((member: { assignments: Array<{ topic: string }> }) => member.assignments))).not.toContain('secret');
    const committed = await call(`${t.url}/v1/groups/g1/offsets`, { headers: bearer(mallory) });
    expect(topicsOf(committed.body.offsets)).not.toContain('secret');
    // The admin still sees every topic of the group (secret by its committed offset: it is assigned to no one).
    expect(topicsOf((await call(`${t.url}/v1/groups/g1`, { headers: admin })).body.partitions)).toContain('secret');
  });
});
