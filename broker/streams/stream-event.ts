/**
 * An event-sourcing event as a record (docs/event-sourcing.md): the stream id is the key, `data`
 * the value as JSON text, and type, id and metadata travel as headers, so Kafka and HTTP consumers
 * of the topic see them too.
 *
 *   key                    the stream id (UTF-8)
 *   value                  JSON text of `data`
 *   content-type           application/json (how fetches and live tails render the value)
 *   spool.event.type       the event type
 *   spool.event.id         the event id (client-given, or a UUID the broker assigns)
 *   spool.event.metadata   JSON text of `metadata`, when given
 */
import { randomUUID } from 'node:crypto';
import type { DecodedRecord, RecordInput, StreamEventView } from '../../storage/index.js';
import { BrokerError } from '../errors.js';
import { type BrokerLimits } from '../limits.js';
import { valueFields } from '../fetch/record-view.js';
import { CONTENT_TYPE_HEADER, JSON_CONTENT_TYPE } from '../produce/record-input.js';

export const EVENT_TYPE_HEADER = 'spool.event.type';
export const EVENT_ID_HEADER = 'spool.event.id';
export const EVENT_METADATA_HEADER = 'spool.event.metadata';

export interface EventInput {
  type: string;
  data: unknown;
  metadata?: Record<string, unknown>;
  id?: string;
}


type EventLimits = Pick<BrokerLimits, 'streamEventMetadataBytesMax'>;

/** The content-type header's value, the same for every event: encoders only read header values. */
const JSON_CONTENT_TYPE_BYTES = Buffer.from(JSON_CONTENT_TYPE);
/**
 * Event types as bytes: an application has a few dozen, and every event carries one. Bounded: a
 * client sending a new type with every event empties it now and then, and pays Buffer.from as before.
 */
const TYPE_BYTES_CACHED = 1024;
const typeBytes = new Map<string, Buffer>();

function bytesOfType(type: string): Buffer {
  let bytes = typeBytes.get(type);
  if (bytes === undefined) {
    if (typeBytes.size >= TYPE_BYTES_CACHED) typeBytes.clear();
    typeBytes.set(type, (bytes = Buffer.from(type)));
  }
  return bytes;
}

/** Refuses an append naming one event id twice (its retry could not be told apart). */
function checkDistinct(ids: readonly string[]): void {
  if (ids.length < 2) return;
  const seen = new Set<string>();
  ids.forEach((id, index) => {
    if (seen.has(id)) throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `events[${index}].id ${JSON.stringify(id)} appears twice in one append`, { field: `events[${index}].id` });
    seen.add(id);
  });
}

/** The records of one append; every event gets an id (the client's, or a fresh UUID). */
export function toEventRecords(stream: Buffer, events: EventInput[], limits: EventLimits): { records: RecordInput[]; ids: string[] } {
  const ids = events.map((event) => event.id ?? randomUUID());
  checkDistinct(ids);
  const records = events.map((event, index): RecordInput => {
    const headers = [
      { key: CONTENT_TYPE_HEADER, value: JSON_CONTENT_TYPE_BYTES },
      { key: EVENT_TYPE_HEADER, value: bytesOfType(event.type) },
      { key: EVENT_ID_HEADER, value: Buffer.from(ids[index]!) },
    ];
    if (event.metadata !== undefined) {
      const metadata = Buffer.from(JSON.stringify(event.metadata));
      if (metadata.length > limits.streamEventMetadataBytesMax) {
        throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `events[${index}].metadata is ${metadata.length} bytes as JSON, over the limit of ${limits.streamEventMetadataBytesMax}`, {
          field: `events[${index}].metadata`,
          limit: limits.streamEventMetadataBytesMax,
        });
      }
      headers.push({ key: EVENT_METADATA_HEADER, value: metadata });
    }
    return { key: stream, value: Buffer.from(JSON.stringify(event.data ?? null)), headers };
  });
  return { records, ids };
}

const textOf = (value: Buffer | null): string | null => value?.toString('utf8') ?? null;

function headerText(record: DecodedRecord, key: string): string | null {
  return textOf(record.headers.find((header) => header.key === key)?.value ?? null);
}

/**
 * A stored record as an event; records produced without the stream API have type and id null.
 * Only what the event shows is decoded (not the key, not a map of every header as a fetch
 * answers): a read answers up to streamReadEventsMax of them, and what it allocates sets how often
 * the broker stops for a scavenge, the tail of every request's latency.
 */
export function toEventView(record: DecodedRecord, version: number): StreamEventView {
  // The first header of each name, as headerText finds it (undefined: none yet).
  let type: string | null | undefined;
  let id: string | null | undefined;
  let metadata: string | null | undefined;
  for (const header of record.headers) {
    if (header.key === EVENT_TYPE_HEADER) type = type === undefined ? textOf(header.value) : type;
    else if (header.key === EVENT_ID_HEADER) id = id === undefined ? textOf(header.value) : id;
    else if (header.key === EVENT_METADATA_HEADER) metadata = metadata === undefined ? textOf(header.value) : metadata;
  }
  const value = valueFields(record, 'auto');
  return {
    version,
    offset: record.offset,
    timestamp: record.timestamp,
    type: type ?? null,
    id: id ?? null,
    ...('value' in value ? { data: value.value } : { dataBase64: value.valueBase64 }),
    ...(metadata != null ? { metadata: parseOrText(metadata) } : {}),
  };
}

/** A metadata header written by another producer may not be JSON: then it is shown as text. */
function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The event id of a stored record, without decoding the rest. */
export function eventIdOf(record: DecodedRecord): string | null {
  return headerText(record, EVENT_ID_HEADER);
}
