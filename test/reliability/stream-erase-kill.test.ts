/**
 * Erase with the broker killed (SIGKILL) while the erase worker runs: after the restart the pass
 * runs again, no file of the data directory holds the erased stream's bytes, the id stays refused,
 * and the other stream's events are unchanged. A real broker process on a real data directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { type BrokerProcess, startBrokerProcess } from '../../bench/lib/broker-process.js';
import { request } from '../../bench/lib/spool-http.js';
import { filesHolding } from '../broker/support/data-files.js';
import { appendMany, killBroker } from './support/stream-process.js';

const dataDir = mkdtempSync(join(tmpdir(), 'spool-erase-kill-'));
const ERASED = 'user-carol@example.com';
const SECRET = 'carol-secret-41d2';
let broker: BrokerProcess | null = null;

afterAll(async () => {
  if (broker && broker.child.exitCode === null) broker.child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

const streamUrl = (stream: string, rest = '') => `${broker!.url}/v1/topics/people/streams/${encodeURIComponent(stream)}${rest}`;
const eventsUrl = (stream: string) => streamUrl(stream, '/events');

describe('erase under SIGKILL', () => {
  it('finishes the erasure after a kill during the worker\'s pass', async () => {
    broker = await startBrokerProcess({ dataDir });
    const created = await request(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'people', partitions: 1, config: { streamIndex: true, segmentBytes: 64 * 1024 } } });
    expect(created.status).toBe(201);
    for (let round = 0; round < 20; round++) {
      await appendMany(eventsUrl(ERASED), `${SECRET}-${round}`, 100);
      await appendMany(eventsUrl('user-dave'), `dave-${round}`, 100);
    }
    const daveBefore = (await request(streamUrl('user-dave', '/events?limit=1000'))).body;
    const erased = await request(streamUrl(ERASED, '/erase'), { method: 'POST' });
    expect(erased.status).toBe(202);
    await killBroker(broker!); // the worker has just started (sealing the active segment, rewriting ~70 segments)
    // The kill came before the pass finished: some of the stream's bytes are still on disk.
    expect((await filesHolding(dataDir, SECRET)).length).toBeGreaterThan(0);

    broker = await startBrokerProcess({ dataDir });
    expect((await request(streamUrl(ERASED, '/events'), { method: 'POST', json: { events: [{ type: 'Again', data: {} }] } })).status).toBe(410);
    await vi.waitFor(
      async () => expect((await request(streamUrl(ERASED))).body.error).toMatchObject({ code: 'SPOOL_ERR_STREAM_ERASED', erasePending: false }),
      { timeout: 60_000, interval: 100 },
    );
    expect(await filesHolding(dataDir, SECRET)).toEqual([]);
    expect(await filesHolding(dataDir, ERASED)).toEqual([]);
    expect((await request(streamUrl('user-dave', '/events?limit=1000'))).body).toEqual(daveBefore);

    await killBroker(broker!); // and once more with nothing pending: still erased, still refused
    broker = await startBrokerProcess({ dataDir });
    expect((await request(streamUrl(ERASED))).body.error).toMatchObject({ code: 'SPOOL_ERR_STREAM_ERASED', erasePending: false });
    expect(await filesHolding(dataDir, SECRET)).toEqual([]);
    expect((await request(streamUrl('user-dave', '/events?limit=1000'))).body).toEqual(daveBefore);
    await broker.stop();
    broker = null;
  }, 120_000);
});
