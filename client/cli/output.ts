/** How the CLI talks to a shell: tables for people, JSON for scripts, errors with codes and exit statuses. */
import { SpoolClientError } from '../errors.js';

/** Exit statuses a script can rely on. */
export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;

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

/** Prints a failure as `spool: CODE: message` and sets the exit status. */
export function reportFailure(error: unknown): void {
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
