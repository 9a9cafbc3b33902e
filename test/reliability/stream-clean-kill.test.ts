/**
 * The stream cleaner with the broker killed (SIGKILL) after the stream's version base was recorded
 * and before the rewrite of its segments finished: after the restart the stream reads the same
 * versions at the same offsets, appends go on from the next version, the interrupted pass runs
 * again at the open and no file keeps a byte of the hidden events; the other stream is unchanged.
 * A real broker process on a real data directory.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { type BrokerProcess, startBrokerProcess } from '../../bench/lib/broker-process.js';
import { request } from '../../bench/lib/spool-http.js';
import { filesHolding } from '../broker/support/data-files.js';
import { appendMany, killBroker } from './support/stream-process.js';

const dataDir = mkdtempSync(join(tmpdir(), 'spool-clean-kill-'));
const HIDDEN = 'hidden-secret-8c1e';
let broker: BrokerProcess | null = null;

afterAll(async () => {
  if (broker && broker.child.exitCode === null) broker.child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

const topicUrl = (rest: string) => `${broker!.url}/v1/topics/ledger${rest}`;
const streamUrl = (stream: string, rest = '') => topicUrl(`/streams/${encodeURIComponent(stream)}${rest}`);
const eventsUrl = (stream: string) => streamUrl(stream, '/events');

/** Whether the partition's metadata (snapshot or journal) holds a base the cleaner has not finished with. */
function baseRecorded(): boolean {
  const dir = join(dataDir, 'topics', 'ledger', '0');
  return ['stream-metadata', 'stream-metadata.journal'].some((name) => {
    try {
      return readFileSync(join(dir, name), 'utf8').includes('"removing":true');
    } catch {
      return false;
    }
  });
}

describe('stream cleaner under SIGKILL', () => {
  it('keeps the versions right and finishes the pass after a kill between the base and the rewrite', async () => {
    broker = await startBrokerProcess({ dataDir, flush: 'never' });
    const created = await request(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'ledger', partitions: 1, config: { streamIndex: true, segmentBytes: 64 * 1024 } } });
    expect(created.status).toBe(201);
    for (let round = 0; round < 20; round++) {
      await appendMany(eventsUrl('account-1'), `${HIDDEN}-${round}`, 100);
      await appendMany(eventsUrl('account-2'), `other-${round}`, 100);
    }
    await appendMany(eventsUrl('account-1'), 'kept', 10);
    for (let i = 0; i < 3; i++) await appendMany(eventsUrl('account-2'), `tail-${i}`, 100); // account-1's events leave the active segment
    expect((await request(streamUrl('account-1', '/metadata'), { method: 'PUT', json: { maxCount: 10 } })).status).toBe(200);
    const before = (await request(streamUrl('account-1', '/events?limit=1000'))).body;
    expect(before.events.map((event: { version: number }) => event.version)).toEqual(Array.from({ length: 10 }, (_, i) => 2000 + i));
    const otherBefore = (await request(streamUrl('account-2', '/events?limit=1000'))).body;

    void request(topicUrl('/clean'), { method: 'POST' }).catch(() => undefined); // killed before it answers
    await vi.waitFor(() => expect(baseRecorded()).toBe(true), { timeout: 30_000, interval: 1 });
    await killBroker(broker!);
    // The kill came before the rewrite finished: hidden bytes are still on disk, below the durable base.
    expect((await filesHolding(dataDir, HIDDEN)).length).toBeGreaterThan(0);

    broker = await startBrokerProcess({ dataDir, flush: 'never' });
    expect((await request(streamUrl('account-1', '/events?limit=1000'))).body).toEqual(before);
    expect((await request(streamUrl('account-1'))).body).toMatchObject({ version: 2009, eventCount: 10 });
    await vi.waitFor(async () => expect(await filesHolding(dataDir, HIDDEN)).toEqual([]), { timeout: 60_000, interval: 200 });
    expect((await request(streamUrl('account-1', '/events?limit=1000'))).body).toEqual(before);
    expect((await request(streamUrl('account-2', '/events?limit=1000'))).body).toEqual(otherBefore);
    const appended = await request(streamUrl('account-1', '/events'), { method: 'POST', json: { events: [{ type: 'After', data: {} }], expectedVersion: 2009 } });
    expect(appended.body).toMatchObject({ firstVersion: 2010 });
    await broker.stop();
    broker = null;
  }, 180_000);
});
