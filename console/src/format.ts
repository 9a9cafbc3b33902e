/** Numbers, sizes, durations and record values as people read them. */
const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

export function count(value: number): string {
  return numberFormat.format(value);
}

export function bytes(value: number): string {
  if (value < 1024) return `${value} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let scaled = value / 1024;
  let unit = 0;
  while (scaled >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit++;
  }
  return `${scaled.toFixed(scaled < 10 ? 2 : 1)} ${units[unit]}`;
}

export function rate(perSec: number): string {
  return `${count(perSec)}/s`;
}

export function megabytesPerSec(bytesPerSec: number): string {
  return `${(bytesPerSec / 1e6).toFixed(2)} MB/s`;
}

/** A duration in ms: `-1` is forever (retention), else the two largest units. */
export function duration(ms: number): string {
  if (ms < 0) return 'forever';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const units: Array<[string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['min', 60_000], ['s', 1000]];
  const parts: string[] = [];
  let rest = ms;
  for (const [name, size] of units) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)} ${name}`);
      rest %= size;
    }
  }
  return parts.join(' ');
}

export function time(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

export interface ShownValue {
  kind: 'json' | 'text' | 'hex' | 'null';
  text: string;
}

/** Hex dump lines of 16 bytes: offset, hex, printable ASCII. At most `limit` bytes shown. */
export function hexDump(data: Uint8Array, limit = 4096): string {
  const lines: string[] = [];
  for (let at = 0; at < Math.min(data.length, limit); at += 16) {
    const row = data.subarray(at, Math.min(at + 16, data.length));
    const hex = [...row].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row].map((byte) => (byte >= 32 && byte < 127 ? String.fromCharCode(byte) : '.')).join('');
    lines.push(`${at.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  if (data.length > limit) lines.push(`… ${data.length - limit} more bytes`);
  return lines.join('\n');
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const data = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) data[i] = binary.charCodeAt(i);
  return data;
}

/**
 * A record's value as the broker's `valueFormat=auto` answered it: JSON (content-type header
 * application/json) pretty-printed, text as is, anything else (valueBase64) as a hex dump.
 */
export function showValue(record: { value?: unknown; valueBase64?: string; headers: Record<string, string | null> }): ShownValue {
  if (record.valueBase64 !== undefined) return { kind: 'hex', text: hexDump(fromBase64(record.valueBase64)) };
  if (record.value === null || record.value === undefined) return { kind: 'null', text: 'null (tombstone)' };
  const contentType = record.headers['content-type'] ?? '';
  if (contentType.startsWith('application/json') || typeof record.value !== 'string') return { kind: 'json', text: JSON.stringify(record.value, null, 2) };
  return { kind: 'text', text: record.value };
}

/**
 * A value on one line, at most `chars` long: compact JSON, text, or the first bytes in hex. For a
 * table cell that shows a glimpse: a pretty-printed value or a whole hex dump would only be cut
 * there, after costing the page its text layout (the live tail redraws 50 of them 4 times a second).
 */
export function previewValue(record: { value?: unknown; valueBase64?: string; headers: Record<string, string | null> }, chars: number): string {
  if (record.valueBase64 !== undefined) {
    const data = fromBase64(record.valueBase64).subarray(0, Math.ceil(chars / 3));
    return [...data].map((byte) => byte.toString(16).padStart(2, '0')).join(' ').slice(0, chars);
  }
  const shown = showValue(record);
  return (shown.kind === 'json' ? JSON.stringify(record.value) : shown.text).slice(0, chars);
}

export function showKey(record: { key?: string | null; keyBase64?: string }): string {
  if (record.keyBase64 !== undefined) return `0x${[...fromBase64(record.keyBase64)].map((byte) => byte.toString(16).padStart(2, '0')).join('')}`;
  return record.key ?? '—';
}
