/**
 * The key erased stream ids are remembered under (stream-metadata.ts): HMAC-SHA-256 with a random
 * secret drawn once per data directory, so a stolen `stream-metadata` file cannot be checked
 * against guessed ids (an email address is easy to guess; a plain SHA-256 of it would confirm the
 * guess). Kept beside the topics folder as `<data>/topics.stream-id-key` (32 bytes), as the
 * clean-shutdown marker is: the topics folder holds topic folders only. Losing it would let erased
 * ids be written again, so a damaged one stops the broker from opening rather than being replaced.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { ioError, StorageError } from '../errors.js';
import type { FileSystem } from '../io/file-system.js';

const KEY_BYTES = 32;

export function streamIdKeyPath(root: string): string {
  return join(dirname(root), `${basename(root)}.stream-id-key`);
}

/** The data directory's secret, created on first use. */
export async function loadStreamIdKey(fs: FileSystem, root: string): Promise<Buffer> {
  const path = streamIdKeyPath(root);
  const existing = await fs.readFile(path);
  if (existing) {
    if (existing.length !== KEY_BYTES) throw new StorageError('SPOOL_ERR_IO', `${path} is damaged: ${existing.length} bytes, not ${KEY_BYTES}`, { path, operation: 'read' });
    return existing;
  }
  const created = randomBytes(KEY_BYTES);
  await fs.writeFileAtomic(path, created).catch((error: unknown) => {
    throw ioError(error, 'write', path);
  });
  return created;
}

/** What an erased stream's id is remembered as (hex). */
export function streamIdDigest(secret: Buffer, key: Buffer): string {
  return createHmac('sha256', secret).update(key).digest('hex');
}
