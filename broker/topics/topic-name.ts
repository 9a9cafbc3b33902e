/**
 * Topic names, the one rule every place that takes one applies (topic creation, queues'
 * dead-letter topics, temporary reply topics; patterns in broker/groups/topic-pattern.ts cannot
 * spell anything else): 1-249 of `A-Z a-z 0-9 . _ -` (Kafka's characters and length), not
 * starting with `.`.
 *
 * A name is a folder in `<data>/topics`. Names starting with `.` are refused because they are the
 * ones tools and file systems treat as hidden or special (`.`, `..`) and the ones the broker once
 * used for its own files there (`.clean-shutdown`: a topic of that name made every start fail).
 * Topics created before this rule keep working; only new names are checked.
 */
import { BrokerError } from '../errors.js';

export const TOPIC_NAME_PATTERN = '^[A-Za-z0-9_-][A-Za-z0-9._-]{0,248}$';
export const TOPIC_NAME_RULE = '1-249 of A-Z a-z 0-9 . _ -, not starting with "."';
const TOPIC_NAME = new RegExp(TOPIC_NAME_PATTERN);

export function isValidTopicName(name: string): boolean {
  return TOPIC_NAME.test(name);
}

/** Throws SPOOL_ERR_INVALID_TOPIC_NAME; `field` names where the name came from (e.g. deadLetterTopic). */
export function assertTopicName(name: string, field = 'name'): void {
  if (typeof name === 'string' && isValidTopicName(name)) return;
  const shown = String(name).slice(0, 300);
  throw new BrokerError('SPOOL_ERR_INVALID_TOPIC_NAME', `${field} ${JSON.stringify(shown)} is not a valid topic name: use ${TOPIC_NAME_RULE}`, {
    topic: shown,
    field,
  });
}
