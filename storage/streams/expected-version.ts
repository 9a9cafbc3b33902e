/**
 * What a conditional append expects of its stream, as EventStoreDB names it: a version (the last
 * event's, 0-based), `any`, `no_stream` (no event yet) or `exists` (at least one).
 */
export type ExpectedVersion = number | 'any' | 'no_stream' | 'exists';

export interface StreamCondition {
  /** The stream id: the records' key. */
  key: Buffer;
  expectedVersion: ExpectedVersion;
}

/** `currentVersion` is the stream's last version, -1 when it has no event. */
export function expectedVersionMatches(expected: ExpectedVersion, currentVersion: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return currentVersion === -1;
  if (expected === 'exists') return currentVersion >= 0;
  return expected === currentVersion;
}
