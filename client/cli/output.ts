/** How the CLI talks to a shell: tables for people, JSON for scripts, errors with codes and exit statuses. */
import { SpoolClientError } from '../errors.js';

/** Exit statuses a script can rely on. */
export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * A reader that went away (`spool consume t | head -3`) is the normal end of a pipe, as for `cat`:
 * the command ends quietly with status 0 instead of an EPIPE stack trace. Verbs that hold
 * resources (a consumer in a group) register a listener to stop cleanly; otherwise the process
 * exits at once.
 */
const stdoutClosedListeners = new Set<() => void>();
let stdoutClosed = false;

export function endQuietlyWhenStdoutCloses(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
    if (stdoutClosed) return;
    stdoutClosed = true;
    process.exitCode = ExitCode.ok;
    if (stdoutClosedListeners.size === 0) process.exit(ExitCode.ok);
    for (const listener of stdoutClosedListeners) listener();
  });
}

/**
 * Calls `listener` when the reader of stdout goes away, instead of exiting: until the returned
 * unsubscribe is called (after the verb released what it holds), the process stays up.
 */
export function onStdoutClosed(listener: () => void): () => void {
  if (stdoutClosed) listener();
  stdoutClosedListeners.add(listener);
  return () => stdoutClosedListeners.delete(listener);
}

/** True as soon as a write failed: the stream is destroyed at once, its 'error' event comes a tick later. */
export function isStdoutClosed(): boolean {
  return stdoutClosed || process.stdout.destroyed;
}

/** Writes to stdout and settles once the write is done: a failed one (EPIPE) rejects. */
export function writeOut(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (error) => (error ? reject(error) : resolve()));
  });
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, process.stdout.isTTY ? 2 : undefined)}\n`);
}

/** A plain aligned table: a header row, then one row per item. */
export function printTable(rows: Array<Record<string, unknown>>, columns: string[]): void {
  const cells = [columns, ...rows.map((row) => columns.map((column) => formatCell(row[column])))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  for (const line of cells) process.stdout.write(`${line.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
}

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A mistake in how a verb was called, found after parsing (flags that exclude each other): exit 2. */
export class UsageError extends Error {}

/** Prints a failure as `spool: CODE: message` and sets the exit status. */
export function reportFailure(error: unknown): void {
  if (error instanceof UsageError) {
    process.stderr.write(`spool: ${error.message}\n`);
    process.exitCode = ExitCode.usage;
    return;
  }
  // The client's errors, and the broker's own when `serve` fails to start (a bad setting).
  if (error instanceof SpoolClientError || hasSpoolCode(error)) {
    process.stderr.write(`spool: ${error.code}: ${error.message}\n`);
  } else {
    process.stderr.write(`spool: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exitCode = ExitCode.failed;
}

export function note(message: string): void {
  process.stderr.write(`${message}\n`);
}

function hasSpoolCode(error: unknown): error is Error & { code: string } {
  const code: unknown = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('SPOOL_ERR_');
}
