/**
 * The few HTTP calls the reliability benches (crash loop, soak, fuzz) make against a broker, and a
 * reader that walks a whole partition as raw batches, checking every batch's size, magic and CRC
 * (storage's splitBatches) as it goes. Uses Node's global fetch; nothing here retries.
 */
import { BATCH_CONTENT_TYPE, type BatchSpan, decodeRecordBatch, splitBatches } from '../../storage/index.js';

export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body is JSON, else the raw bytes. */
  body: any;
}

export async function request(url: string, init: RequestInit & { json?: unknown } = {}): Promise<HttpAnswer> {
  const { json, ...rest } = init;
  const response = await fetch(url, {
    ...rest,
    ...(json !== undefined ? { body: JSON.stringify(json), headers: { 'content-type': 'application/json', ...(rest.headers ?? {}) } } : {}),
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  let body: unknown = bytes;
  if ((response.headers.get('content-type') ?? '').startsWith('application/json')) body = bytes.length > 0 ? JSON.parse(bytes.toString('utf8')) : null;
  return { status: response.status, headers: response.headers, body };
}

/** Creates a topic; an existing one (409) is fine. */
export async function ensureTopic(url: string, name: string, partitions: number, config?: Record<string, unknown>): Promise<void> {
  const answer = await request(`${url}/v1/topics`, { method: 'POST', json: { name, partitions, ...(config ? { config } : {}) } });
  if (answer.status !== 201 && answer.status !== 409) throw new Error(`create topic ${name}: ${answer.status} ${JSON.stringify(answer.body)}`);
}

export async function produceJson(url: string, topic: string, records: unknown[]): Promise<HttpAnswer> {
  return request(`${url}/v1/topics/${topic}/records`, { method: 'POST', json: { records } });
}

export async function produceBatch(url: string, topic: string, partition: number, batch: Buffer): Promise<HttpAnswer> {
  return request(`${url}/v1/topics/${topic}/records?partition=${partition}`, {
    method: 'POST',
    headers: { 'content-type': BATCH_CONTENT_TYPE },
    body: batch,
  });
}

export async function commitOffsets(url: string, group: string, offsets: Array<{ topic: string; partition: number; offset: number }>): Promise<HttpAnswer> {
  return request(`${url}/v1/groups/${group}/offsets`, { method: 'POST', json: { offsets } });
}

/** Committed offsets of a group by `topic:partition` (empty when the group is unknown). */
export async function committedOffsets(url: string, group: string): Promise<Map<string, number>> {
  const answer = await request(`${url}/v1/groups/${group}/offsets`);
  const result = new Map<string, number>();
  if (answer.status === 404) return result;
  if (answer.status !== 200) throw new Error(`committed offsets of ${group}: ${answer.status}`);
  for (const entry of answer.body.offsets as Array<{ topic: string; partition: number; offset: number }>) {
    result.set(`${entry.topic}:${entry.partition}`, entry.offset);
  }
  return result;
}

export interface StoredRecord {
  offset: number;
  value: Buffer | null;
}

export interface PartitionScan {
  records: StoredRecord[];
  batches: number;
  /** Batches that failed splitBatches/decoding (size, magic, CRC, record layout), with the reason. */
  badBatches: string[];
  /** Places where a batch did not start right after the previous one ended. */
  gaps: string[];
  highWatermark: number;
  logStartOffset: number;
}

/** Reads a whole partition with format=batch, validating every batch and the offsets between them. */
export async function scanPartition(url: string, topic: string, partition: number): Promise<PartitionScan> {
  const scan: PartitionScan = { records: [], batches: 0, badBatches: [], gaps: [], highWatermark: 0, logStartOffset: 0 };
  let offset: number | null = null;
  let expected: number | null = null;
  for (;;) {
    const answer = await request(`${url}/v1/topics/${topic}/partitions/${partition}/records?offset=${offset ?? 'earliest'}&format=batch&maxBytes=1048576`);
    if (answer.status !== 200) {
      scan.badBatches.push(`fetch at ${offset}: ${answer.status} ${JSON.stringify(answer.body?.error ?? '')}`);
      return scan;
    }
    scan.highWatermark = Number(answer.headers.get('spool-high-watermark'));
    scan.logStartOffset = Number(answer.headers.get('spool-log-start-offset'));
    expected ??= scan.logStartOffset;
    const data = answer.body as Buffer;
    if (data.length === 0) return scan;
    let spans: BatchSpan[];
    try {
      spans = splitBatches(data);
    } catch (error) {
      scan.badBatches.push(`batches at ${offset}: ${(error as Error).message}`);
      return scan;
    }
    for (const span of spans) {
      scan.batches++;
      const { baseOffset, lastOffsetDelta } = span.header;
      if (baseOffset + lastOffsetDelta < expected) continue; // the first batch may start before the requested offset
      if (baseOffset !== expected) scan.gaps.push(`batch at ${baseOffset}, expected ${expected}`);
      try {
        for (const record of decodeRecordBatch(data, span.position, span.position + span.size).records) {
          scan.records.push({ offset: record.offset, value: record.value === null ? null : Buffer.from(record.value) });
        }
      } catch (error) {
        scan.badBatches.push(`batch at ${baseOffset}: ${(error as Error).message}`);
      }
      expected = baseOffset + lastOffsetDelta + 1;
    }
    offset = Number(answer.headers.get('spool-next-offset'));
    if (offset >= scan.highWatermark) return scan;
  }
}
