import { describe, expect, it } from 'vitest';
import { isValidPattern, matchesPattern } from '../../../broker/groups/topic-pattern.js';

describe('topic patterns', () => {
  it.each([
    ['orders.*', 'orders.eu', true],
    ['orders.*', 'orders', false],
    ['orders.*', 'orders.eu.paris', false],
    ['logs.#', 'logs', true],
    ['logs.#', 'logs.a.b', true],
    ['logs.#', 'logsx', false],
    ['#.errors', 'errors', true],
    ['#.errors', 'a.b.errors', true],
    ['#', 'anything.at.all', true],
    ['a.*.c', 'a.b.c', true],
    ['a.*.c', 'a.c', false],
    ['a.#.c', 'a.c', true],
    ['a.#.c', 'a.x.y.c', true],
  ])('%s vs %s → %s', (pattern, topic, expected) => {
    expect(matchesPattern(pattern, topic)).toBe(expected);
  });

  it('validates patterns', () => {
    expect(isValidPattern('orders.*')).toBe(true);
    expect(isValidPattern('')).toBe(false);
    expect(isValidPattern('a..b')).toBe(false);
    expect(isValidPattern('a.b*')).toBe(false);
  });
});
