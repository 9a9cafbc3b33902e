/**
 * Producer ids for idempotent producers (Kafka's InitProducerId). Ids come from one SQLite counter,
 * so no two producers ever share an id, across restarts too: the broker's per-partition producer
 * state tells a retry (same id, a sequence seen before) from a new batch.
 */
import type Database from 'better-sqlite3';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS producer_ids (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  client_id TEXT,
  created_at_ms INTEGER NOT NULL
);
`;

export interface ProducerIdentity {
  producerId: number;
  producerEpoch: number;
}

export class ProducerIdStore {
  private readonly insert: Database.Statement<[string | null, number]>;

  constructor(db: Database.Database) {
    db.exec(SCHEMA);
    this.insert = db.prepare('INSERT INTO producer_ids (client_id, created_at_ms) VALUES (?, ?)');
  }

  allocate(clientId: string | null): ProducerIdentity {
    const { lastInsertRowid } = this.insert.run(clientId, Date.now());
    return { producerId: Number(lastInsertRowid), producerEpoch: 0 };
  }
}
