/**
 * A full disk: writes fail with ENOSPC through an injected file system. The produce answers 507,
 * nothing of it is acknowledged or served, reads keep working, and writing resumes once space is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FileSystem, nodeFileSystem } from '../../storage/index.js';
import { call, logState, startBroker, type TestBroker } from './support/broker.js';

let diskFull = false;
const enospc = () => Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
const faultyFs: FileSystem = {
  ...nodeFileSystem,
  writev: async (fd, buffers, position) => {
    if (diskFull) {
      // A partial write first, as a real full disk may do: it must never be served or kept.
      await nodeFileSystem.writev(fd, [buffers[0]!.subarray(0, 7)], position);
      throw enospc();
    }
    return nodeFileSystem.writev(fd, buffers, position);
  },
};

let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker({ fileSystem: faultyFs });
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'full', partitions: 1 } });
  await call(`${broker.url}/v1/topics/full/records`, { method: 'POST', json: { records: [{ value: 'before' }] } });
});
afterAll(async () => broker.close());

describe('disk full', () => {
  it('answers 507, keeps serving reads, and resumes when space is back', async () => {
    const before = await logState(broker.url, 'full');
    diskFull = true;
    const failed = await call(`${broker.url}/v1/topics/full/records`, { method: 'POST', json: { records: [{ value: 'lost' }] } });
    expect(failed.status).toBe(507);
    expect(failed.body.error.code).toBe('SPOOL_ERR_DISK_FULL');
    expect(await logState(broker.url, 'full')).toEqual(before);
    const read = await call(`${broker.url}/v1/topics/full/partitions/0/records?offset=0`);
    expect(read.body.records.map((r: { value: string }) => r.value)).toEqual(['before']);
    diskFull = false;
    const resumed = await call(`${broker.url}/v1/topics/full/records`, { method: 'POST', json: { records: [{ value: 'after' }] } });
    expect(resumed.status).toBe(200);
    expect(resumed.body.records[0].offset).toBe(1);
    const all = await call(`${broker.url}/v1/topics/full/partitions/0/records?offset=0`);
    expect(all.body.records.map((r: { value: string }) => r.value)).toEqual(['before', 'after']);
  });
});
