/**
 * The stream metadata table's bound (streamMetadataEntriesMax) holds metadata and soft deletes
 * only: a table filled by them never refuses an erasure (GDPR), and erased ids survive a reload.
 * Erased ids are kept as HMAC-SHA-256 under the data directory's secret, never a plain hash.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeFileSystem, storageLimits } from '../../../storage/index.js';
import { StreamMetadataTable } from '../../../storage/streams/stream-metadata.js';

const limits = storageLimits as { streamMetadataEntriesMax: number };
const original = limits.streamMetadataEntriesMax;
let dir: string;
const secret = randomBytes(32);

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
    const table = await StreamMetadataTable.load(nodeFileSystem, dir, secret);
    for (let i = 0; i < 3; i++) await table.setSettings(Buffer.from(`filler-${i}`), { maxCount: 1 });
    await expect((async () => table.setSettings(Buffer.from('one-more'), { maxCount: 1 }))()).rejects.toMatchObject({ code: 'SPOOL_ERR_TOO_MANY_STREAM_METADATA', context: { limit: 3 } });
    for (let i = 0; i < 5; i++) await table.markErasing(Buffer.from(`person-${i}@example.com`));
    expect(table.isErased(Buffer.from('person-4@example.com'))).toBe(true);
    // Erasures take no entry of the bound: clearing one metadata entry makes room for one again.
    await table.setSettings(Buffer.from('filler-0'), {});
    await table.setSettings(Buffer.from('one-more'), { maxCount: 1 });
    const reloaded = await StreamMetadataTable.load(nodeFileSystem, dir, secret);
    expect(reloaded.pendingErasures()).toHaveLength(5);
    expect(reloaded.isErased(Buffer.from('person-0@example.com'))).toBe(true);
  });

  it('keeps an erased id as an HMAC under the secret: no plain SHA-256 to check a guess against', async () => {
    const id = Buffer.from('SECRET-PERSON-alice@example.com');
    const table = await StreamMetadataTable.load(nodeFileSystem, dir, secret);
    await table.markErasing(id);
    await table.markErased(id);
    const file = await readFile(join(dir, 'stream-metadata'), 'utf8');
    expect(file).not.toContain(createHash('sha256').update(id).digest('hex'));
    expect(file).toContain(createHmac('sha256', secret).update(id).digest('hex'));
    expect(file).not.toContain('alice');
    expect((await StreamMetadataTable.load(nodeFileSystem, dir, secret)).isErased(id)).toBe(true);
    // Under another secret the file would refuse nothing it names: it does not open.
    await expect(StreamMetadataTable.load(nodeFileSystem, dir, randomBytes(32))).rejects.toMatchObject({ code: 'SPOOL_ERR_IO' });
  });
});

describe('stream metadata journal', () => {
  const journalPath = () => join(dir, 'stream-metadata.journal');
  const settingsOf = (table: StreamMetadataTable, stream: string) => table.metadataOf(Buffer.from(stream).toString('latin1'));

  it('appends each change to the journal, leaving the table file alone; a torn last line is cut, the changes before it kept', async () => {
    limits.streamMetadataEntriesMax = 100;
    const table = await StreamMetadataTable.load(nodeFileSystem, dir, secret);
    await table.setSettings(Buffer.from('order-a'), { maxCount: 1 });
    const snapshot = await readFile(join(dir, 'stream-metadata'));
    await table.setSettings(Buffer.from('order-b'), { maxCount: 2 });
    await table.softDelete(Buffer.from('order-c'), 4);
    await table.setSettings(Buffer.from('order-a'), {});
    expect((await readFile(join(dir, 'stream-metadata'))).equals(snapshot)).toBe(true);
    expect((await readFile(journalPath(), 'utf8')).trim().split('\n')).toHaveLength(4); // the generation, then 3 changes
    await appendFile(journalPath(), '0badc0de {"key":"b3JkZXItZA==","metada'); // an append torn by a crash
    const reloaded = await StreamMetadataTable.load(nodeFileSystem, dir, secret);
    expect(settingsOf(reloaded, 'order-a')).toEqual({});
    expect(settingsOf(reloaded, 'order-b')).toEqual({ maxCount: 2 });
    expect(settingsOf(reloaded, 'order-c')).toEqual({ deleted: true, truncateBefore: 5 });
    await reloaded.setSettings(Buffer.from('order-d'), { maxAgeMs: 1000 }); // after the torn line: cut first
    const again = await StreamMetadataTable.load(nodeFileSystem, dir, secret);
    expect(settingsOf(again, 'order-d')).toEqual({ maxAgeMs: 1000 });
    expect(settingsOf(again, 'order-b')).toEqual({ maxCount: 2 });
  });

  it('rewrites the table past streamMetadataJournalEntriesMax changes and on an erasure; an older generation\'s journal is never replayed', async () => {
    limits.streamMetadataEntriesMax = 100;
    const journalLimits = storageLimits as { streamMetadataJournalEntriesMax: number };
    const journalMax = journalLimits.streamMetadataJournalEntriesMax;
    journalLimits.streamMetadataJournalEntriesMax = 2;
    try {
      const table = await StreamMetadataTable.load(nodeFileSystem, dir, secret);
      for (let i = 0; i < 4; i++) await table.setSettings(Buffer.from(`order-${i}`), { maxCount: i + 1 });
      expect(await readFile(join(dir, 'stream-metadata'), 'utf8')).toContain(Buffer.from('order-2').toString('base64'));
      await table.setSettings(Buffer.from('person@example.com'), { maxCount: 9 });
      const journalBefore = await readFile(journalPath());
      await table.markErasing(Buffer.from('person@example.com'));
      // A crash between the table's rewrite and the new journal leaves the old journal: ignored.
      await writeFile(journalPath(), journalBefore);
      const reloaded = await StreamMetadataTable.load(nodeFileSystem, dir, secret);
      expect(settingsOf(reloaded, 'person@example.com')).toEqual({});
      expect(settingsOf(reloaded, 'order-3')).toEqual({ maxCount: 4 });
      expect(reloaded.isErased(Buffer.from('person@example.com'))).toBe(true);
      expect(await readFile(journalPath(), 'utf8')).not.toContain(Buffer.from('person@example.com').toString('base64')); // replaced at the load
    } finally {
      journalLimits.streamMetadataJournalEntriesMax = journalMax;
    }
  });
});

describe('stream version base', () => {
  const key = Buffer.from('order-7');
  const keyString = key.toString('latin1');

  it('is kept through the journal, survives settings changes, never moves down, and its removing mark clears', async () => {
    const table = await StreamMetadataTable.load(nodeFileSystem, dir, secret);
    await table.setSettings(key, { maxCount: 2 });
    await table.setSettings(Buffer.from('other'), { maxCount: 1 }); // the journal has begun: the next changes are lines of it
    await table.setBase(keyString, { version: 8, offset: 40 });
    expect(table.baseOf(keyString)).toEqual({ version: 8, offset: 40, removing: true });
    expect(table.removalPending).toBe(true);
    await table.setBase(keyString, { version: 3, offset: 12 }); // below the current base: ignored
    // Settings cleared or changed: the removed records stay removed.
    await table.setSettings(key, {});
    expect(table.metadataOf(keyString)).toEqual({ base: { version: 8, offset: 40, removing: true } });
    let reloaded = await StreamMetadataTable.load(nodeFileSystem, dir, secret);
    expect(reloaded.baseOf(keyString)).toEqual({ version: 8, offset: 40, removing: true });
    expect(reloaded.removalPending).toBe(true);
    await reloaded.baseRemoved(keyString);
    reloaded = await StreamMetadataTable.load(nodeFileSystem, dir, secret);
    expect(reloaded.baseOf(keyString)).toEqual({ version: 8, offset: 40 });
    expect(reloaded.removalPending).toBe(false);
    await reloaded.softDelete(key, 9);
    expect(reloaded.metadataOf(keyString)).toMatchObject({ deleted: true, truncateBefore: 10, base: { version: 8, offset: 40 } });
  });

  it('refuses to open a file whose base is not {version, offset} of non-negative integers', async () => {
    const table = await StreamMetadataTable.load(nodeFileSystem, dir, secret);
    await table.setSettings(key, { maxCount: 2 });
    await table.markErasing(Buffer.from('someone')); // writes the whole table
    const path = join(dir, 'stream-metadata');
    const file = JSON.parse(await readFile(path, 'utf8'));
    file.streams[0].base = { version: -1, offset: 2 ** 53 };
    await writeFile(path, JSON.stringify(file));
    await expect(StreamMetadataTable.load(nodeFileSystem, dir, secret)).rejects.toMatchObject({ code: 'SPOOL_ERR_IO' });
  });
});
