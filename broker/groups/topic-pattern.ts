/**
 * Topic patterns with the word grammar of AMQP topic exchanges (and NATS subjects): a topic is
 * dot-separated words; `*` matches exactly one word, `#` matches zero or more words.
 *
 *   orders.*     matches orders.eu, not orders or orders.eu.paris
 *   logs.#       matches logs, logs.a, logs.a.b
 *   #.errors     matches errors, app.errors, a.b.errors
 *
 * Used by pattern subscriptions of consumer groups and by live pub/sub, and so on every produce
 * (its subscriber count) and every group rebalance: a match must never cost more than
 * pattern words × topic words. A backtracking matcher tried every split for every `#` and took
 * seconds, then hours, for a few `#` against a long topic; this one walks the topic once, keeping
 * the set of pattern positions reached (a Thompson simulation of the pattern's automaton).
 */
import { BrokerError } from '../errors.js';
import { brokerLimits } from '../limits.js';

const WORD = /^[A-Za-z0-9_-]+$/;

export type PatternProblem = { reason: 'length' | 'words' | 'word'; message: string };

/** Why a pattern is refused, or null when it is valid. */
export function patternProblem(pattern: string, wordsMax: number = brokerLimits.patternWordsMax): PatternProblem | null {
  if (pattern.length === 0 || pattern.length > 249) return { reason: 'length', message: 'a pattern has 1 to 249 characters' };
  const words = pattern.split('.');
  if (words.length > wordsMax) return { reason: 'words', message: `a pattern has at most ${wordsMax} words (patternWordsMax), this one has ${words.length}` };
  if (!words.every((word) => word === '*' || word === '#' || WORD.test(word))) return { reason: 'word', message: 'a pattern is dot-separated words of [A-Za-z0-9_-], * or #' };
  return null;
}

export function isValidPattern(pattern: string, wordsMax?: number): boolean {
  return patternProblem(pattern, wordsMax) === null;
}

/**
 * The pattern, checked: 413 SPOOL_ERR_PATTERN_TOO_LONG past patternWordsMax words, 400
 * SPOOL_ERR_BAD_REQUEST when it is not a pattern at all. `context` names the request (a group).
 */
export function checkPattern(pattern: string, wordsMax: number, context: Record<string, unknown> = {}): string {
  const problem = patternProblem(pattern, wordsMax);
  if (!problem) return pattern;
  const shown = pattern.slice(0, 300);
  if (problem.reason === 'words') throw new BrokerError('SPOOL_ERR_PATTERN_TOO_LONG', problem.message, { ...context, pattern: shown, limit: 'patternWordsMax', max: wordsMax });
  throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `pattern ${JSON.stringify(shown)} is not valid: ${problem.message}`, { ...context, pattern: shown });
}

export function compilePattern(pattern: string): (topic: string) => boolean {
  // `#.#` matches what `#` matches: runs of `#` collapse, so the automaton stays small.
  const words = pattern.split('.').filter((word, i, all) => word !== '#' || all[i - 1] !== '#');
  // reached[i]: the words before position i matched the topic words read so far.
  let reached = new Uint8Array(words.length + 1);
  let next = new Uint8Array(words.length + 1);
  const close = (set: Uint8Array): void => {
    // A `#` may match zero words: reaching it reaches the position after it too.
    for (let i = 0; i < words.length; i++) if (set[i] && words[i] === '#') set[i + 1] = 1;
  };
  return (topic: string) => {
    reached.fill(0);
    reached[0] = 1;
    close(reached);
    let start = 0;
    for (;;) {
      const end = topic.indexOf('.', start);
      const word = end === -1 ? topic.slice(start) : topic.slice(start, end);
      next.fill(0);
      let any = false;
      for (let i = 0; i < words.length; i++) {
        if (!reached[i]) continue;
        const expected = words[i];
        if (expected === '#') next[i] = 1; // `#` takes this word and may take more
        else if (expected === '*' || expected === word) next[i + 1] = 1;
        else continue;
        any = true;
      }
      if (!any) return false;
      close(next);
      [reached, next] = [next, reached];
      if (end === -1) return reached[words.length] === 1;
      start = end + 1;
    }
  };
}

export function matchesPattern(pattern: string, topic: string): boolean {
  return compilePattern(pattern)(topic);
}
