/**
 * Producer ids for idempotent producers (Kafka's InitProducerId), and the check that a batch names
 * one this broker issued.
 *
 * Ids were once a SQLite counter, and any client could write as any id: a batch sent as producer 1,
 * epoch 0, sequence 2 made the real producer's sequence 2 answer `duplicate` (its records dropped),
 * and epoch 32767 fenced it for good. Now:
 *   - ids are random in 1..2^53-1 (53 bits: exact in a JavaScript number, unguessable in practice),
 *     unique by the table's primary key, never sequential;
 *   - a batch may only carry an id the broker issued, with the epoch it issued last: an id never
 *     issued answers SPOOL_ERR_UNKNOWN_PRODUCER_ID, a newer epoch SPOOL_ERR_INVALID_PRODUCER_EPOCH,
 *     an older one SPOOL_ERR_PRODUCER_FENCED (a zombie of a re-initialised producer).
 *   - an id is bound to the principal that obtained it (User:ANONYMOUS on an open broker): a batch
 *     or a re-initialisation by another principal answers SPOOL_ERR_FORBIDDEN (Kafka:
 *     CLUSTER_AUTHORIZATION_FAILED), so one principal cannot fence or poison another's producer.
 *     Ids issued before the binding existed (no principal stored) stay usable by anyone.
 * Nothing binds an id to a TCP connection: the client's connection pool sends one producer's
 * batches over several.
 */
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { StorageError } from '../../storage/index.js';
import { BrokerError } from '../errors.js';

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

interface Issued {
  epoch: number;
  principal: string | null;
}

/** Producer epochs are int16 in RecordBatch v2: past the last, a producer gets a new id. */
const PRODUCER_EPOCH_MAX = 32_767;

/** Issued ids looked up in SQLite stay cached up to this many (the least recently issued go first). */
const CACHED_PRODUCERS_MAX = 10_000;

/** A random id in 1..2^53-1: the top 53 bits of 8 random bytes, 0 drawn again. */
function randomProducerId(): number {
  for (;;) {
    const id = Number(randomBytes(8).readBigUInt64BE(0) >> 11n);
    if (id > 0) return id;
  }
}

export class ProducerIdStore {
  private readonly insert: Database.Statement<[number, string | null, number, string]>;
  private readonly issuedOf: Database.Statement<[number], Issued>;
  private readonly setEpoch: Database.Statement<[number, number, number]>;
  private readonly cache = new Map<number, Issued>();

  constructor(db: Database.Database) {
    db.exec(SCHEMA);
    const columns = db.prepare('PRAGMA table_info(producer_ids)').all() as Array<{ name: string }>;
    if (!columns.some((column) => column.name === 'epoch')) db.exec('ALTER TABLE producer_ids ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0');
    if (!columns.some((column) => column.name === 'principal')) db.exec('ALTER TABLE producer_ids ADD COLUMN principal TEXT');
    this.insert = db.prepare('INSERT OR IGNORE INTO producer_ids (id, client_id, created_at_ms, principal) VALUES (?, ?, ?, ?)');
    this.issuedOf = db.prepare('SELECT epoch, principal FROM producer_ids WHERE id = ?');
    this.setEpoch = db.prepare('UPDATE producer_ids SET epoch = ? WHERE id = ? AND epoch = ?');
  }

  /** A new id for `principal` (the one that may use it from then on). */
  allocate(clientId: string | null, principal: string): ProducerIdentity {
    for (;;) {
      const producerId = randomProducerId();
      if (this.insert.run(producerId, clientId, Date.now(), principal).changes === 1) {
        this.remember(producerId, { epoch: 0, principal });
        return { producerId, producerEpoch: 0 };
      }
    }
  }

  /**
   * Re-initialisation of an issued producer (Kafka's InitProducerId naming its id and epoch, KIP-360):
   * the epoch goes up by one, which fences the old incarnation's batches and starts its sequences
   * again. An id never issued gets a new one; an epoch that is not the current one is refused; an
   * id at the last epoch (32767) gets a new id, as Kafka does.
   */
  reinitialize(producerId: number, producerEpoch: number, clientId: string | null, principal: string): ProducerIdentity {
    const issued = Number.isSafeInteger(producerId) ? this.issuedOf.get(producerId) : undefined;
    if (issued !== undefined) checkOwner(producerId, issued, principal);
    const epoch = issued?.epoch;
    if (epoch === undefined || epoch >= PRODUCER_EPOCH_MAX) return this.allocate(clientId, principal);
    if (producerEpoch !== epoch) {
      throw new BrokerError('SPOOL_ERR_INVALID_PRODUCER_EPOCH', `producer ${producerId} has epoch ${epoch}, not ${producerEpoch}: only its current incarnation may re-initialise it`, { producerId, producerEpoch, epoch });
    }
    if (this.setEpoch.run(epoch + 1, producerId, epoch).changes !== 1) throw new BrokerError('SPOOL_ERR_INVALID_PRODUCER_EPOCH', `producer ${producerId} was re-initialised concurrently`, { producerId, producerEpoch });
    this.remember(producerId, { epoch: epoch + 1, principal: issued!.principal });
    return { producerId, producerEpoch: epoch + 1 };
  }

  /**
   * Throws unless the broker issued `producerId` to `principal` with `producerEpoch` as its current
   * epoch. Called for every produced batch that carries a producer id, before the partition looks
   * at it.
   */
  authorize(producerId: number, producerEpoch: number, principal: string): void {
    let issued = this.cache.get(producerId);
    if (issued === undefined) {
      issued = Number.isSafeInteger(producerId) ? this.issuedOf.get(producerId) : undefined;
      if (issued === undefined) {
        throw new BrokerError('SPOOL_ERR_UNKNOWN_PRODUCER_ID', `producer id ${producerId} was not issued by this broker: get one from POST /v1/producers (Kafka: InitProducerId)`, { producerId });
      }
      this.remember(producerId, issued);
    }
    checkOwner(producerId, issued, principal);
    const { epoch } = issued;
    if (producerEpoch > epoch) {
      throw new BrokerError('SPOOL_ERR_INVALID_PRODUCER_EPOCH', `producer ${producerId} has epoch ${epoch}; epoch ${producerEpoch} was never issued`, { producerId, producerEpoch, epoch });
    }
    if (producerEpoch < epoch) {
      throw new StorageError('SPOOL_ERR_PRODUCER_FENCED', `producer ${producerId} epoch ${producerEpoch} is older than its current epoch ${epoch}`, { producerId });
    }
  }

  private remember(producerId: number, issued: Issued): void {
    this.cache.delete(producerId);
    this.cache.set(producerId, issued);
    if (this.cache.size > CACHED_PRODUCERS_MAX) this.cache.delete(this.cache.keys().next().value!);
  }
}

/** Refuses a principal other than the one the id was issued to (none stored: issued before the binding). */
function checkOwner(producerId: number, issued: Issued, principal: string): void {
  if (issued.principal === null || issued.principal === principal) return;
  throw new BrokerError('SPOOL_ERR_FORBIDDEN', `producer id ${producerId} was issued to another principal: ${principal} may not use it (get its own from POST /v1/producers or InitProducerId)`, {
    principal,
    operation: 'Write',
    resourceType: 'producer',
    resource: String(producerId),
  });
}
