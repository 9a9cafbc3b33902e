/** Searching a data directory's files byte for byte (erase tests: nothing of a stream may remain). */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/** Every file under `dir` (segments, indexes, `.keys`, metadata, SQLite, all) holding `needle`. */
export async function filesHolding(dir: string, needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const path of await filesUnder(dir)) {
    const bytes = await readFile(path).catch(() => null); // removed meanwhile (a `.tmp`, a swap)
    if (bytes?.includes(Buffer.from(needle))) found.push(path);
  }
  return found;
}
