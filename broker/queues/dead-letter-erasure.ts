/**
 * Erasing a stream (docs/event-sourcing.md "Erase") reaches the copies of its events that work
 * queues on the stream topic dead-lettered: every dead-letter topic named by a queue of the topic
 * gets an erase pass for the stream's key (each partition's segments scanned, those holding it
 * rewritten with the crash-safe swap, other records' offsets unchanged). The storage engine calls
 * this from the stream's erase pass, before the stream counts as erased, so erasePending stays
 * true until the copies are gone, and a crash in between runs it again at the next open.
 */
import type { LogManager } from '../../storage/index.js';
import type { TopicStore } from '../metadata/topic-store.js';
import { BrokerError } from '../errors.js';
import type { QueueStore } from './queue-store.js';

/** The dead-letter topics of the queues on `topic` (each once). */
export function deadLetterTopicsOf(queues: QueueStore, topic: string): string[] {
  const names = new Set<string>();
  for (const name of queues.namesOf(topic)) {
    const config = queues.config(topic, name);
    if (config) names.add(config.deadLetterTopic);
  }
  return [...names];
}

/**
 * The broker's LogManagerOptions.eraseCopies. `logs` is read when an erasure runs (the manager is
 * made after this is). A dead-letter topic the metadata knows but the manager has not
 * opened yet (an erasure resumed while the broker starts) fails the pass: the broker resumes the
 * pending erasures once every topic is open (LogManager.resumeErasures).
 */
export function deadLetterCopyEraser(queues: QueueStore, topics: TopicStore, logs: () => LogManager): (topic: string, key: Buffer) => Promise<void> {
  return async (topic, key) => {
    for (const deadLetterTopic of deadLetterTopicsOf(queues, topic)) {
      if (!topics.get(deadLetterTopic)) continue; // never created: nothing was dead-lettered
      const partitions = logs().partitions(deadLetterTopic);
      if (partitions.length === 0) {
        throw new BrokerError('SPOOL_ERR_INTERNAL', `dead-letter topic ${deadLetterTopic} is not open yet: the erasure is resumed once the broker has started`, { topic: deadLetterTopic });
      }
      // A stream topic as a dead-letter topic refuses records of other partitions' keys; its copies are its own streams, erased by their own erase.
      for (const log of partitions) if (!log.config.streamIndex) await log.eraseKey(key);
    }
  };
}
