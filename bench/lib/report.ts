/**
 * Benchmark output: one JSON line (for machines: `... | tail -1 | jq`) and a human table, both
 * naming the machine. Results may also be written to bench/results/<name>-<date>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machineInfo } from './machine.js';

export type Row = Record<string, string | number | boolean | null>;

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(2);
}

export function table(rows: Row[]): string {
  if (rows.length === 0) return '(no rows)';
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cell = (value: Row[string] | undefined) => (typeof value === 'number' ? formatNumber(value) : String(value ?? ''));
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => cell(row[column]).length)));
  const line = (values: string[]) => `| ${values.map((value, i) => value.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(columns), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...rows.map((row) => line(columns.map((column) => cell(row[column]))))].join('\n');
}

export interface Report {
  bench: string;
  rows: Row[];
  [key: string]: unknown;
}

/** Prints the table, the machine, then the JSON line last; optionally saves the JSON. */
export function printReport(report: Report, options: { save?: boolean } = {}): void {
  const machine = machineInfo();
  const full = { ...report, machine, at: new Date().toISOString() };
  console.log(`\n${report.bench} on ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}\n`);
  console.log(table(report.rows));
  if (options.save) {
    const dir = join(process.cwd(), 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${report.bench}-${full.at.slice(0, 19).replace(/[:T]/g, '-')}.json`);
    writeFileSync(path, JSON.stringify(full, null, 2));
    console.log(`\nsaved ${path}`);
  }
  console.log(JSON.stringify(full));
}

export function ratio(value: number, reference: number): number {
  return reference > 0 ? value / reference : 0;
}
