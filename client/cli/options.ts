/** Parsing of the CLI's option values; a bad value is a usage error (exit status 2). */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { brokerUrl } from '../broker-url.js';

export function positiveInteger(value: string): number {
  const parsed = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(parsed)) throw new InvalidArgumentError(`expected a whole number from 0 to 2^53-1, got ${JSON.stringify(value)}`);
  return parsed;
}

export function partitionList(value: string): number[] {
  return value.split(',').map((part) => positiveInteger(part.trim()));
}

/** `partition=offset` pairs (comma-separated, or the option repeated): produce's --expected-offsets. */
export function expectedOffsetPairs(value: string, previous: Record<number, number> = {}): Record<number, number> {
  const pairs = { ...previous };
  for (const part of value.split(',')) {
    const match = /^\s*(\d{1,9})\s*=\s*(\d+)\s*$/.exec(part);
    if (!match) throw new InvalidArgumentError(`expected partition=offset (0=42), got ${JSON.stringify(part)}`);
    pairs[Number(match[1])] = positiveInteger(match[2]!);
  }
  return pairs;
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

/** An ISO 8601 date, optionally with a time and zone: 2026-11-30, 2026-11-30T07:00:00Z. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** `earliest`, `latest`, an offset (0 or more), or an ISO 8601 time. */
export function startPoint(value: string): StartPoint {
  if (value === 'earliest' || value === 'latest') return value;
  if (/^-?\d+$/.test(value)) {
    const offset = Number(value);
    if (offset < 0) throw new InvalidArgumentError(`an offset is 0 or more, got ${value} (for the last records, use --from latest, or a time)`);
    if (!Number.isSafeInteger(offset)) throw new InvalidArgumentError(`offset ${value} is past 2^53-1, the largest offset Spool stores`);
    return offset;
  }
  const time = ISO_TIME.test(value) ? new Date(value) : null;
  if (time === null || Number.isNaN(time.getTime())) throw new InvalidArgumentError('expected earliest, latest, an offset or an ISO 8601 time (2026-11-30T07:00:00Z)');
  return time;
}

/** --url and SPOOL_URL: the client's own check, reported as a usage error (exit status 2). */
export function brokerUrlOption(value: string): string {
  try {
    return brokerUrl(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration: a whole number with a unit, ms s m h or d (`30d`, `12h`, `500ms`), in milliseconds. */
export function duration(value: string): number {
  const match = /^(\d{1,12})(ms|s|m|h|d)$/.exec(value);
  const ms = match ? Number(match[1]) * DURATION_UNITS_MS[match[2]!]! : NaN;
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new InvalidArgumentError(`expected a duration such as 30d, 12h, 15m, 90s or 500ms, got ${JSON.stringify(value)}`);
  return ms;
}

/** --ca, --cert, --key: a PEM file, read at once so a wrong path is a usage error naming it. */
export function pemFile(path: string): Buffer {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (error) {
    throw new InvalidArgumentError(`cannot read ${path}: ${(error as Error).message}`);
  }
  if (!content.includes('-----BEGIN ')) throw new InvalidArgumentError(`${path} is not a PEM file (no -----BEGIN line)`);
  return content;
}
