/**
 * The stream metadata table's bound (streamMetadataEntriesMax) holds metadata and soft deletes
 * only: a table filled by them never refuses an erasure (GDPR), and erased ids survive a reload.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeFileSystem, storageLimits } from '../../../storage/index.js';
import { StreamMetadataTable } from '../../../storage/streams/stream-metadata.js';

const limits = storageLimits as { streamMetadataEntriesMax: number };
const original = limits.streamMetadataEntriesMax;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spool-stream-metadata-'));
  limits.streamMetadataEntriesMax = 3;
});
afterEach(async () => {
  limits.streamMetadataEntriesMax = original;
  await rm(dir, { recursive: true, force: true });
});

describe('stream metadata table bound', () => {
  it('refuses a metadata entry past the bound, never an erasure', async () => {
    const table = await StreamMetadataTable.load(nodeFileSystem, dir);
    for (let i = 0; i < 3; i++) await table.setSettings(Buffer.from(`filler-${i}`), { maxCount: 1 });
    await expect((async () => table.setSettings(Buffer.from('one-more'), { maxCount: 1 }))()).rejects.toMatchObject({ code: 'SPOOL_ERR_TOO_MANY_STREAM_METADATA', context: { limit: 3 } });
    for (let i = 0; i < 5; i++) await table.markErasing(Buffer.from(`person-${i}@example.com`));
    expect(table.isErased(Buffer.from('person-4@example.com'))).toBe(true);
    // Erasures take no entry of the bound: clearing one metadata entry makes room for one again.
    await table.setSettings(Buffer.from('filler-0'), {});
    await table.setSettings(Buffer.from('one-more'), { maxCount: 1 });
    const reloaded = await StreamMetadataTable.load(nodeFileSystem, dir);
    expect(reloaded.pendingErasures()).toHaveLength(5);
    expect(reloaded.isErased(Buffer.from('person-0@example.com'))).toBe(true);
  });
});
