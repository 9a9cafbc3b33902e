/**
 * Topic patterns with the word grammar of AMQP topic exchanges (and NATS subjects): a topic is
 * dot-separated words; `*` matches exactly one word, `#` matches zero or more words.
 *
 *   orders.*     matches orders.eu, not orders or orders.eu.paris
 *   logs.#       matches logs, logs.a, logs.a.b
 *   #.errors     matches errors, app.errors, a.b.errors
 *
 * Used by pattern subscriptions of consumer groups and by live pub/sub.
 */
export function isValidPattern(pattern: string): boolean {
  if (pattern.length === 0 || pattern.length > 249) return false;
  return pattern.split('.').every((word) => word === '*' || word === '#' || /^[A-Za-z0-9_-]+$/.test(word));
}

export function compilePattern(pattern: string): (topic: string) => boolean {
  const words = pattern.split('.');
  return (topic: string) => matchWords(words, 0, topic.split('.'), 0);
}

function matchWords(pattern: string[], p: number, topic: string[], t: number): boolean {
  for (;;) {
    if (p === pattern.length) return t === topic.length;
    const word = pattern[p]!;
    if (word === '#') {
      // Zero or more words: try every split, shortest first.
      for (let skip = t; skip <= topic.length; skip++) if (matchWords(pattern, p + 1, topic, skip)) return true;
      return false;
    }
    if (t === topic.length) return false;
    if (word !== '*' && word !== topic[t]) return false;
    p++;
    t++;
  }
}

export function matchesPattern(pattern: string, topic: string): boolean {
  return compilePattern(pattern)(topic);
}
