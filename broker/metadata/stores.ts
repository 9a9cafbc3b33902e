/**
 * Every store of spool.db, opened together. Each store creates its own tables (CREATE TABLE IF NOT
 * EXISTS) in its constructor; here they all run in ONE transaction. Why: each DDL statement on its
 * own is its own commit, and with synchronous=FULL each commit is a WAL fsync: a fresh data
 * directory (every embedded broker, every test) paid ~12 fsyncs, ~40 ms of a ~100 ms start on this
 * machine's disk. On an existing directory the statements change nothing and commit nothing.
 */
import type Database from 'better-sqlite3';
import { OffsetStore } from '../groups/offset-store.js';
import { QueueStore } from '../queues/queue-store.js';
import { loadClusterId } from './cluster-id-store.js';
import { ProducerIdStore } from './producer-id-store.js';
import { TemporaryTopicStore } from './temporary-topic-store.js';
import { TopicStore } from './topic-store.js';

export interface MetadataStores {
  topics: TopicStore;
  temporaryTopics: TemporaryTopicStore;
  offsets: OffsetStore;
  producerIds: ProducerIdStore;
  queues: QueueStore;
  clusterId: string;
}

export function openStores(db: Database.Database, options: { queueJournalEntriesMax: number }): MetadataStores {
  return db.transaction(() => ({
    topics: new TopicStore(db),
    temporaryTopics: new TemporaryTopicStore(db),
    offsets: new OffsetStore(db),
    producerIds: new ProducerIdStore(db),
    queues: new QueueStore(db, options.queueJournalEntriesMax),
    clusterId: loadClusterId(db),
  }))();
}
