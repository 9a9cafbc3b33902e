/** The compaction worker thread: runs one job (compactor.ts) and posts the result, or the error with its code and context, back. */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { isSpoolError } from '../errors.js';
import { type CompactionJob, runCompaction } from './compactor.js';

try {
  parentPort!.postMessage({ ok: true, threadId, result: await runCompaction(workerData as CompactionJob) });
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  parentPort!.postMessage({ ok: false, threadId, message, code: isSpoolError(error) ? error.code : undefined, context: isSpoolError(error) ? error.context : undefined });
}
