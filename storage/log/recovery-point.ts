/**
 * The recovery point of a partition: the base offset of the first segment not known to be synced.
 * Every segment below it was fdatasync'ed when it was sealed, so recovery scans only from it on;
 * its time therefore does not grow with the size of the sealed segments. Stored as decimal text.
 */
import { join } from 'node:path';
import { ioError } from '../errors.js';
import type { FileSystem } from '../io/file-system.js';
import { RECOVERY_POINT_FILE } from './segment-files.js';

export async function readRecoveryPoint(fs: FileSystem, dir: string): Promise<number> {
  const path = join(dir, RECOVERY_POINT_FILE);
  const bytes = await fs.readFile(path).catch((error: unknown) => {
    throw ioError(error, 'read', path);
  });
  const value = bytes ? Number(bytes.toString('utf8').trim()) : NaN;
  return Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

export async function writeRecoveryPoint(fs: FileSystem, dir: string, offset: number): Promise<void> {
  const path = join(dir, RECOVERY_POINT_FILE);
  await fs.writeFileAtomic(path, Buffer.from(`${offset}\n`)).catch((error: unknown) => {
    throw ioError(error, 'write', path);
  });
}
