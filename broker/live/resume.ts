/**
 * Where a live subscription starts. `Last-Event-ID` (sent by EventSource on reconnect) resumes
 * after the event it names; Spool's own client sends every partition's position, comma-separated,
 * so a reconnect misses nothing:
 *
 *   Last-Event-ID: 3:1041                  partition 3 resumes at 1042
 *   Last-Event-ID: 0:17,1:5,2:99           each named partition resumes after its offset
 *   Last-Event-ID: orders/0:17,logs/2:4    pattern subscriptions name the topic
 *   Last-Event-ID: orders/0:-1             followed from offset 0, nothing received yet
 *
 * Partitions the id does not name start at `from` when the request gives one; otherwise, with an
 * id, at the first record no older than the named event's record (time index: EventSource sends
 * just one id), and without an id at `latest`. Spool's client names every partition it was told
 * to `follow` and asks `from=earliest` on reconnect: a partition it never followed belongs to a
 * topic created while it was away, all of whose records are new to it.
 */
import { decodeRecordBatches, type PartitionLog } from '../../storage/index.js';
import { BrokerError } from '../errors.js';
import type { LiveSource } from './live-tail.js';

export type Positions = Map<string, number>;

export function positionKey(log: PartitionLog, qualified: boolean): string {
  return qualified ? `${log.topic}/${log.partition}` : String(log.partition);
}

const ENTRY = /^(?:([A-Za-z0-9._-]{1,249})\/)?(\d{1,9}):(-1|\d{1,16})$/;

export function parseLastEventId(header: string | undefined): Positions {
  const positions: Positions = new Map();
  if (!header) return positions;
  for (const part of header.split(',')) {
    const match = ENTRY.exec(part.trim());
    if (!match) throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `Last-Event-ID ${JSON.stringify(header.slice(0, 200))} is not [topic/]partition:offset[,...]`);
    const key = match[1] ? `${match[1]}/${match[2]}` : match[2]!;
    positions.set(key, Number(match[3]) + 1);
  }
  return positions;
}

/** The start position of one partition. */
export async function startPosition(log: PartitionLog, positions: Positions, qualified: boolean, from: 'earliest' | 'latest', resumeTimestamp: number | null): Promise<number> {
  const named = positions.get(positionKey(log, qualified));
  const clamp = (offset: number) => Math.min(Math.max(offset, log.logStartOffset), log.highWatermark);
  if (named !== undefined) return clamp(named);
  if (resumeTimestamp !== null) return clamp((await log.offsetForTimestamp(resumeTimestamp)) ?? log.highWatermark);
  return from === 'earliest' ? log.logStartOffset : log.highWatermark;
}

/** The timestamp of the first record a Last-Event-ID names, for partitions it does not name. */
export async function resumeTimestampOf(logs: PartitionLog[], positions: Positions, qualified: boolean): Promise<number | null> {
  for (const log of logs) {
    const next = positions.get(positionKey(log, qualified));
    if (next === undefined || next - 1 < log.logStartOffset || next - 1 >= log.highWatermark) continue;
    const read = await log.read(next - 1, 1);
    const record = decodeRecordBatches(read.data).flatMap((batch) => batch.records).find((candidate) => candidate.offset === next - 1);
    if (record) return record.timestamp;
  }
  return null;
}

/** Where each partition of a new subscription starts, from its Last-Event-ID and `from`. */
export async function startSources(logs: PartitionLog[], lastEventId: string | undefined, qualified: boolean, from: 'earliest' | 'latest' | undefined): Promise<LiveSource[]> {
  const positions = parseLastEventId(lastEventId);
  const resumeTimestamp = positions.size > 0 && from === undefined ? await resumeTimestampOf(logs, positions, qualified) : null;
  const sources: LiveSource[] = [];
  for (const log of logs) sources.push({ log, position: await startPosition(log, positions, qualified, from ?? 'latest', resumeTimestamp) });
  return sources;
}
