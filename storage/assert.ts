/**
 * A tiny invariant check (TigerBeetle style). An assertion failure is a bug in Spool, never bad
 * input: bad input gets a typed SpoolError instead. Split compound conditions so that a failure
 * names the broken one.
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}
