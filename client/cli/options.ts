/** Parsing of the CLI's option values; a bad value is a usage error (exit status 2). */
import { InvalidArgumentError } from 'commander';

export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number, 0 or more');
  return parsed;
}

export function partitionList(value: string): number[] {
  return value.split(',').map((part) => positiveInteger(part.trim()));
}

/** `key=value` pairs of topic config; numbers where they look like numbers. */
export function configPair(value: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected key=value, got ${value}`);
  const key = value.slice(0, at);
  const raw = value.slice(at + 1);
  return { ...previous, [key]: /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw };
}

export type StartPoint = 'earliest' | 'latest' | number | Date;

/** `earliest`, `latest`, an offset, or an ISO 8601 time. */
export function startPoint(value: string): StartPoint {
  if (value === 'earliest' || value === 'latest') return value;
  if (/^\d+$/.test(value)) return Number(value);
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) throw new InvalidArgumentError('expected earliest, latest, an offset or an ISO time');
  return time;
}
