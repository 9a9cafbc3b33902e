import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePattern, isValidPattern, matchesPattern } from '../../../broker/groups/topic-pattern.js';
import { brokerLimits } from '../../../broker/limits.js';

/** The reference: a regular expression over "." + topic, one group per pattern word. */
function referenceMatch(pattern: string, topic: string): boolean {
  const source = pattern
    .split('.')
    .map((word) => (word === '#' ? '(?:\\.[^.]*)*' : word === '*' ? '\\.[^.]*' : `\\.${word.replace(/[-]/g, '\\-')}`))
    .join('');
  return new RegExp(`^${source}$`).test(`.${topic}`);
}

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
    ['a.#.#.c', 'a.c', true],
    ['#.*', 'a', true],
    ['*.#.*', 'a', false],
    ['*', 'a..b', false],
    ['a.*.b', 'a..b', true],
  ])('%s vs %s → %s', (pattern, topic, expected) => {
    expect(matchesPattern(pattern, topic)).toBe(expected);
    expect(referenceMatch(pattern, topic)).toBe(expected);
  });

  it('validates patterns', () => {
    expect(isValidPattern('orders.*')).toBe(true);
    expect(isValidPattern('')).toBe(false);
    expect(isValidPattern('a..b')).toBe(false);
    expect(isValidPattern('a.b*')).toBe(false);
    expect(isValidPattern(Array(brokerLimits.patternWordsMax).fill('#').join('.'))).toBe(true);
    expect(isValidPattern(Array(brokerLimits.patternWordsMax + 1).fill('#').join('.'))).toBe(false);
  });

  it('agrees with a regular expression built from the pattern', () => {
    // Few distinct words, so that literal words match often and `#` has many ways to split.
    const word = fc.constantFrom('a', 'b', 'c', '');
    const patternWord = fc.constantFrom('a', 'b', 'c', '*', '#');
    const topic = fc.array(word, { minLength: 1, maxLength: 12 }).map((words) => words.join('.'));
    const pattern = fc.array(patternWord, { minLength: 1, maxLength: 10 }).map((words) => words.join('.'));
    fc.assert(
      fc.property(pattern, topic, (p, t) => {
        expect(compilePattern(p)(t)).toBe(referenceMatch(p, t));
      }),
      { numRuns: 5_000 },
    );
  });

  it('matches a 100-word # pattern against a 120-word topic (a backtracking matcher never returns)', () => {
    const topic = Array(120).fill('w').join('.');
    const pattern = `${Array(99).fill('#').join('.')}.z`;
    expect(compilePattern(pattern)(topic)).toBe(false);
    const alternating = Array(50).fill('#.w').join('.');
    expect(compilePattern(alternating)(topic)).toBe(true);
    expect(compilePattern(`${alternating}.z`)(topic)).toBe(false);
  });
});
