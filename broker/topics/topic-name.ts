/** Topic names (ARCHITECTURE §3): `^[A-Za-z0-9._-]{1,249}$`, and never `.` or `..` (they name folders). */
import { BrokerError } from '../errors.js';

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

export function isValidTopicName(name: string): boolean {
  return TOPIC_NAME.test(name) && name !== '.' && name !== '..';
}

export function assertTopicName(name: string): void {
  if (!isValidTopicName(name)) {
    throw new BrokerError('SPOOL_ERR_INVALID_TOPIC_NAME', `topic name ${JSON.stringify(name.slice(0, 300))} is invalid: use 1-249 of A-Z a-z 0-9 . _ -, not "." or ".."`, {
      topic: name.slice(0, 300),
    });
  }
}
