/** The compaction worker thread: runs one job (compactor.ts) and posts the result back. */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { type CompactionJob, runCompaction } from './compactor.js';

try {
  parentPort!.postMessage({ ok: true, threadId, result: runCompaction(workerData as CompactionJob) });
} catch (error) {
  parentPort!.postMessage({ ok: false, threadId, message: error instanceof Error ? error.message : String(error) });
}
