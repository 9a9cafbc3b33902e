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

/**
 * `currentVersion` is the stream's last version, -1 when it has no event. A soft-deleted stream
 * (not written since its delete) counts as no stream, as in EventStoreDB, while a number still
 * names its last version: it is written again from the next one either way.
 */
export function expectedVersionMatches(expected: ExpectedVersion, currentVersion: number, softDeleted = false): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return currentVersion === -1 || softDeleted;
  if (expected === 'exists') return currentVersion >= 0 && !softDeleted;
  return expected === currentVersion;
}
