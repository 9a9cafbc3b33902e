/**
 * The data directory as the storage engine sees it (ARCHITECTURE §2):
 *
 *   <data>/topics/                 the LogManager's root: one folder per topic, nothing else
 *   <data>/topics.clean-shutdown   the clean-shutdown marker (log-manager.ts)
 *   <data>/topics.stream-id-key    the secret erased stream ids are kept under (streams/stream-id-key.ts)
 *   <data>/quarantine/             bytes `spool check --repair` cut from damaged partitions
 *
 * Tools that work on a stopped broker's files (scrub, repair) first check that the directory is a
 * data directory at all: a typo'd path must fail, never read as an empty, healthy log.
 */
import { join } from 'node:path';
import { StorageError } from '../errors.js';
import type { FileSystem } from '../io/file-system.js';

export const TOPICS_FOLDER = 'topics';
export const QUARANTINE_FOLDER = 'quarantine';

export function topicsRoot(dataDir: string): string {
  return join(dataDir, TOPICS_FOLDER);
}

/** Throws SPOOL_ERR_NOT_A_DATA_DIR, saying why, unless `dataDir` is a directory holding `topics/`. */
export async function assertDataDirectory(fs: FileSystem, dataDir: string): Promise<void> {
  const fail = (why: string): never => {
    throw new StorageError('SPOOL_ERR_NOT_A_DATA_DIR', `${dataDir} is not a Spool data directory: ${why}`, { path: dataDir });
  };
  const stat = await fs.stat(dataDir).catch((error: NodeJS.ErrnoException) => fail(`${error.code ?? error.message}`));
  if (!stat) fail('it does not exist');
  if (!stat!.isDirectory) fail('it is a file, not a directory');
  const topics = await fs.stat(topicsRoot(dataDir));
  if (!topics?.isDirectory) fail(`it has no ${TOPICS_FOLDER}/ folder (a broker creates it on its first start)`);
}
