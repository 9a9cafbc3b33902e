/**
 * fast-check generators of hostile HTTP requests against every route of the broker, shared by
 * `npm run fuzz` (bench/fuzz.ts) and test/reliability/fuzz.test.ts. Each request starts from a
 * valid one and is mutated: JSON and msgpack bodies get wrong types, missing and extra fields and
 * byte damage; raw RecordBatch bodies get lengths, counts, magic, compression bits, offsets and
 * varints rewritten, usually with the CRC recomputed afterwards so that parsing gets past the CRC
 * check; paths, query strings and headers get odd values.
 *
 * The generators never delete or reset the fixture topic and group, never delete or erase the
 * fixture's event streams, and never create a topic with many partitions, so that a long run stays fast and the fixture's log can be compared before and
 * after each rejected request.
 */
import fc from 'fast-check';
import { pack } from 'msgpackr';
import { BATCH_CONTENT_TYPE, Compression, compressionName, crc32c, encodeRecordBatch } from '../../storage/index.js';

export interface FuzzFixture {
  topic: string;
  partitions: number;
  group: string;
  /** A `streamIndex: true` topic and the streams on it that no request may delete or erase. */
  streamTopic: string;
  streams: string[];
}

export interface FuzzRequest {
  /** What the request is, for the report: the route and the mutation. */
  label: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

const JSON_TYPE = 'application/json';
const MSGPACK_TYPE = 'application/x-msgpack';

/** Values of every JSON type, biased to the edges (huge, negative, fractional, empty, nested). */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 31, 2 ** 53, -(2 ** 63), Number.MAX_VALUE, '', ' ', '0', '-1', 'earliest', '\u0000', '\ud800', '{}', []),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 40 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxKeys: 3 }),
);

/** A path segment: usually a name the route knows, else something odd (percent-encoded). */
const segment = (valid: string[], validWeight = 3): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: validWeight, arbitrary: fc.constantFrom(...valid) },
    { weight: 2, arbitrary: fc.constantFrom('..', '.', '%2e%2e', 'a'.repeat(300), '-1', '1e3', '0x1', '%00', '%ff', '%', 'topic name', '9999999999999999999') },
    { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 30 }).map((text) => encodeURIComponent(text)) },
  );

const queryValue = fc.oneof(
  fc.constantFrom('', '-1', '0', '1', 'earliest', 'latest', 'json', 'batch', 'msgpack', 'NaN', '1.5', '1e309', '99999999999999999999', '%zz', 'true'),
  fc.integer().map(String),
  fc.string({ maxLength: 12 }).map((text) => encodeURIComponent(text)),
);

/** A query string: known keys with odd values, unknown keys, repeated keys. */
function query(keys: string[], maxLength = 4): fc.Arbitrary<string> {
  return fc
    .array(fc.tuple(fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 8 }).map(encodeURIComponent)), queryValue), { maxLength })
    .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([key, value]) => `${key}=${value}`).join('&')}`));
}

/** Byte damage of any body: flip, insert, delete, truncate, or none. */
function damage(bytes: Buffer): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(bytes) },
    { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, mask]) => flip(bytes, at, mask)) },
    { weight: 1, arbitrary: fc.nat().map((at) => bytes.subarray(0, bytes.length === 0 ? 0 : at % bytes.length)) },
    { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([at, extra]) => splice(bytes, at, Buffer.from(extra))) },
  );
}

function flip(bytes: Buffer, at: number, mask: number): Buffer {
  if (bytes.length === 0) return bytes;
  const copy = Buffer.from(bytes);
  copy[at % copy.length]! ^= mask;
  return copy;
}

function splice(bytes: Buffer, at: number, extra: Buffer): Buffer {
  const where = bytes.length === 0 ? 0 : at % bytes.length;
  return Buffer.concat([bytes.subarray(0, where), extra, bytes.subarray(where)]);
}

/** A JSON value with one field somewhere replaced by an odd value, removed, or added. */
function mutateTree(value: unknown): fc.Arbitrary<unknown> {
  return fc.tuple(fc.nat(), fc.constantFrom('replace', 'remove', 'add', 'keep'), oddValue, fc.string({ maxLength: 6 })).map(([pick, how, odd, key]) => {
    if (how === 'keep') return value;
    const copy = structuredClone(value);
    const holders: Array<Record<string, unknown> | unknown[]> = [];
    const walk = (node: unknown) => {
      if (node !== null && typeof node === 'object') {
        holders.push(node as Record<string, unknown>);
        for (const child of Object.values(node)) walk(child);
      }
    };
    walk(copy);
    if (holders.length === 0) return odd;
    const holder = holders[pick % holders.length]!;
    const keys = Object.keys(holder);
    if (how === 'add' || keys.length === 0) (holder as Record<string, unknown>)[Array.isArray(holder) ? holder.length : key] = odd;
    else if (how === 'remove') delete (holder as Record<string, unknown>)[keys[pick % keys.length]!];
    else (holder as Record<string, unknown>)[keys[pick % keys.length]!] = odd;
    return copy;
  });
}

const recordsBody = (fixture: FuzzFixture) =>
  fc
    .array(
      fc.record(
        {
          key: fc.oneof(fc.string({ maxLength: 10 }), fc.constant(null)),
          value: fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.constant(null), fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 })),
          partition: fc.integer({ min: -1, max: fixture.partitions }),
          headers: fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 2 }),
          timestamp: fc.oneof(fc.integer({ min: 0, max: 2 ** 45 }), fc.integer({ min: -5, max: -1 })),
          valueBase64: fc.oneof(fc.base64String({ maxLength: 12 }), fc.string({ maxLength: 6 })),
        },
        { requiredKeys: [] },
      ),
      { minLength: 0, maxLength: 4 },
    )
    .chain((records) => mutateTree({ records }));

/** Offsets of RecordBatch v2 header fields a mutation rewrites, with their size in bytes. */
const HEADER_FIELDS: Array<[string, number, 1 | 2 | 4 | 8]> = [
  ['baseOffset', 0, 8],
  ['batchLength', 8, 4],
  ['partitionLeaderEpoch', 12, 4],
  ['magic', 16, 1],
  ['crc', 17, 4],
  ['attributes', 21, 2],
  ['lastOffsetDelta', 23, 4],
  ['baseTimestamp', 27, 8],
  ['maxTimestamp', 35, 8],
  ['producerId', 43, 8],
  ['producerEpoch', 51, 2],
  ['baseSequence', 53, 4],
  ['recordsCount', 57, 4],
];

const edgeInt = fc.oneof(fc.constantFrom(0, 1, -1, 2, 7, 0x7f, 0x80, 0xff, 0x7fff, -0x8000, 0x7fffffff, -0x80000000), fc.integer({ min: -0x80000000, max: 0x7fffffff }));

function writeField(batch: Buffer, at: number, size: 1 | 2 | 4 | 8, value: number): void {
  if (size === 1) batch.writeInt8(((value % 128) + 128) % 256 - 128, at);
  else if (size === 2) batch.writeInt16BE(((value % 32768) + 32768) % 65536 - 32768, at);
  else if (size === 4) batch.writeInt32BE(value | 0, at);
  else batch.writeBigInt64BE(BigInt(value), at);
}

/** Recomputes the CRC-32C over bytes 21..end of the first batch, as a well-behaved producer would. */
function fixCrc(batch: Buffer): Buffer {
  if (batch.length >= 61) batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
  return batch;
}

const batchRecords = fc.array(
  fc.record({
    key: fc.option(fc.uint8Array({ maxLength: 8 }).map((bytes) => Buffer.from(bytes)), { nil: null }),
    value: fc.option(fc.uint8Array({ maxLength: 24 }).map((bytes) => Buffer.from(bytes)), { nil: null }),
    headers: fc.array(fc.record({ key: fc.string({ maxLength: 4 }), value: fc.option(fc.uint8Array({ maxLength: 4 }).map((bytes) => Buffer.from(bytes)), { nil: null }) }), { maxLength: 2 }),
  }),
  { minLength: 1, maxLength: 5 },
);

/** A raw batch body: valid, then a header field or record bytes rewritten, usually with the CRC fixed. */
const batchBody: fc.Arbitrary<{ body: Buffer; mutation: string }> = fc
  .record({
    records: batchRecords,
    compression: fc.constantFrom(...Object.values(Compression)),
    idempotent: fc.boolean(),
    field: fc.constantFrom(...HEADER_FIELDS),
    value: edgeInt,
    how: fc.constantFrom('field', 'field', 'records', 'records', 'truncate', 'twice', 'none'),
    at: fc.nat(),
    mask: fc.integer({ min: 1, max: 255 }),
    fixCrc: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  })
  .map(({ records, compression, idempotent, field, value, how, at, mask, fixCrc: recompute }) => {
    const batch = encodeRecordBatch(records, {
      compression,
      ...(idempotent ? { producerId: 424242, producerEpoch: 0, baseSequence: 0 } : {}),
    });
    let body = batch;
    let mutation = 'none';
    if (how === 'field') {
      writeField(batch, field[1], field[2], value);
      mutation = `${field[0]}=${value}`;
    } else if (how === 'records' && batch.length > 61) {
      body = flip(batch, 61 + (at % (batch.length - 61)), mask);
      mutation = `record byte ${61 + (at % (batch.length - 61))}^${mask}`;
    } else if (how === 'truncate') {
      body = batch.subarray(0, at % batch.length);
      mutation = `truncated to ${body.length}`;
    } else if (how === 'twice') {
      body = Buffer.concat([batch, batch.subarray(0, at % (batch.length + 1))]);
      mutation = `followed by ${body.length - batch.length} bytes of a second batch`;
    }
    if (recompute && how !== 'truncate') fixCrc(body);
    return { body, mutation: `${mutation}${recompute ? ', crc fixed' : ''}, ${compressionName(compression)}` };
  });

/**
 * Seeds from issue 23: compression bombs (a small batch of each codec holding one 16 MiB record,
 * past the default maxMessageBytes once decompressed), made once, and a poison record (a value
 * labelled JSON nested 20,000 levels deep, past what JSON.stringify survives) that every later
 * fetch and live tail of the topic then meets.
 */
const bombs = new Map<string, Buffer>();
function bomb(compression: number): Buffer {
  const name = compressionName(compression);
  let batch = bombs.get(name);
  if (!batch) bombs.set(name, (batch = encodeRecordBatch([{ value: Buffer.alloc(16 * 1024 * 1024) }], { compression })));
  return batch;
}
/**
 * More seeds from issue 23 (data safety): names in the broker's own files' place, a misspelled
 * value that once wrote a tombstone, offsets past 2^53-1, and forged idempotent producers.
 */
const reservedTopicNames = ['.clean-shutdown', '.clean-shutdown.tmp', '.hidden', 'topics.clean-shutdown', 'owner.json', 'spool.db', 'q'.repeat(247)];
const typoRecords = [{ records: [{ key: 'k1', vlaue: { total: 1 } }] }, { records: [{ key: 'k1' }] }, { records: [{ value: 1 }], expectedOffset: { 0: 0 } }, { record: [{ value: 1 }] }];
const hugeOffsets = ['9007199254740992', '9007199254740993', '9999999999999999', '18446744073709551615'];
const poisonRecords = { records: [{ valueBase64: Buffer.from('['.repeat(20_000)).toString('base64'), headers: { 'content-type': JSON_TYPE } }] };

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/JSON', 'application/json; charset=latin1', 'application/octet-stream', 'multipart/form-data', '', ';', 'application/vnd.spool.batch; x=1', 'application/x-msgpack;') },
);

function request(label: string, method: FuzzRequest['method'], path: string, type: string | null, body?: Buffer): FuzzRequest {
  return { label, method, path, headers: type === null ? {} : { 'content-type': type }, ...(body !== undefined ? { body } : {}) };
}

function jsonRequest(label: string, method: FuzzRequest['method'], path: fc.Arbitrary<string>, value: fc.Arbitrary<unknown>): fc.Arbitrary<FuzzRequest> {
  return fc
    .tuple(path, value, fc.boolean(), contentType)
    .chain(([where, json, asMsgpack, type]) => {
      const encoded = json === undefined ? Buffer.alloc(0) : asMsgpack ? Buffer.from(pack(json)) : Buffer.from(JSON.stringify(json) ?? '');
      return damage(encoded).map((body) => request(`${label} (${asMsgpack ? 'msgpack' : 'json'})`, method, where, type ?? (asMsgpack ? MSGPACK_TYPE : JSON_TYPE), body));
    });
}

/**
 * Requests every run starts with, whatever the seed: one of each refusal that only deep parsing
 * gives (the test checks the sample reaches them), so a random sample that happens to miss one
 * cannot hide a parser that stopped looking.
 */
export function fuzzExamples(fixture: FuzzFixture): FuzzRequest[] {
  const path = `/v1/topics/${fixture.topic}/records?partition=0`;
  const overstated = encodeRecordBatch([{ value: Buffer.from('a') }, { value: Buffer.from('b') }]);
  writeField(overstated, 23, 4, 7); // lastOffsetDelta past its two records, CRC fixed below
  const corrupt = encodeRecordBatch([{ value: Buffer.from('c') }]);
  corrupt[corrupt.length - 1]! ^= 0xff; // CRC left stale
  return [
    request('example: lastOffsetDelta past the records', 'POST', path, BATCH_CONTENT_TYPE, fixCrc(overstated)),
    request('example: stale CRC', 'POST', path, BATCH_CONTENT_TYPE, corrupt),
    request('example: unknown producer', 'POST', path, BATCH_CONTENT_TYPE, encodeRecordBatch([{ value: Buffer.from('x') }], { producerId: 424242, producerEpoch: 0, baseSequence: 0 })),
    request('example: reserved topic name', 'POST', '/v1/topics', JSON_TYPE, Buffer.from(JSON.stringify({ name: '.clean-shutdown', partitions: 1 }))),
    request('example: truncated JSON', 'POST', `/v1/topics/${fixture.topic}/records`, JSON_TYPE, Buffer.from('{"records": [')),
    request('example: misspelled field', 'POST', `/v1/topics/${fixture.topic}/records`, JSON_TYPE, Buffer.from(JSON.stringify({ records: [{ vlaue: 1 }] }))),
    request('example: stream append at a version already taken', 'POST', `/v1/topics/${fixture.streamTopic}/streams/${fixture.streams[0]}/events`, JSON_TYPE, Buffer.from(JSON.stringify({ events: [{ type: 'Late', data: {} }], expectedVersion: 0 }))),
    request('example: stream route on a topic without streamIndex', 'GET', `/v1/topics/${fixture.topic}/streams/${fixture.streams[0]}`, null),
  ];
}

/** A stream event: valid fields, then mutated by the caller. */
const streamEvent = fc.record(
  {
    type: fc.oneof(fc.constantFrom('OrderPlaced', 'OrderPaid'), fc.string({ maxLength: 8 })),
    data: fc.oneof(fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }), fc.string({ maxLength: 10 }), fc.constant(null)),
    metadata: fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
    id: fc.oneof(fc.uuid(), fc.string({ maxLength: 8 })),
  },
  { requiredKeys: ['type', 'data'] },
);
const expectedVersion = fc.oneof(fc.constantFrom('any', 'no_stream', 'exists', 'ANY', 'none', -1, 2 ** 53, 1.5, '3'), fc.integer({ min: 0, max: 12 }));

/** A seed for the event-stream routes: event data nested 5,000 deep (written as text: building it as a value would overflow the stack). */
const poisonEvents = Buffer.from(`{"events":[{"type":"Poison","data":${'['.repeat(5_000)}${']'.repeat(5_000)}}]}`);

/** The event-stream routes (issue 18): appends with odd expected versions, reads, metadata, soft delete and erase of streams that are not the fixture's. */
function streamRequest(fixture: FuzzFixture): fc.Arbitrary<FuzzRequest> {
  const { streamTopic, streams, topic } = fixture;
  const topicSegment = segment([streamTopic, topic, 'no-such-topic'], 6);
  const streamSegment = segment([...streams, 'fuzz-new-stream', 's'.repeat(513), '%F0%9F%A6%84'], 6);
  const otherStream = fc.constantFrom('fuzz-new-stream', 'fuzz-other-stream', 'never-written');
  const base = (t: string, s: string) => `/v1/topics/${t}/streams/${s}`;
  const appendBody = fc
    .record({ events: fc.array(streamEvent, { minLength: 0, maxLength: 3 }), expectedVersion }, { requiredKeys: ['events'] })
    .chain(mutateTree);
  const metadataBody = fc
    .record({ maxCount: oddValue, maxAgeMs: oddValue, truncateBefore: fc.oneof(fc.integer({ min: 0, max: 5 }), oddValue) }, { requiredKeys: [] })
    .chain(mutateTree);
  return fc.oneof(
    { weight: 4, arbitrary: jsonRequest('stream append', 'POST', fc.tuple(topicSegment, streamSegment).map(([t, s]) => `${base(t, s)}/events`), appendBody) },
    fc.constantFrom(...streams).map((s) => request('stream append: data nested 5,000 deep', 'POST', `${base(streamTopic, s)}/events`, JSON_TYPE, poisonEvents)),
    fc.tuple(topicSegment, streamSegment, query(['from', 'direction', 'limit', 'format'])).map(([t, s, q]) => request('stream read', 'GET', `${base(t, s)}/events${q}`, null)),
    fc.tuple(topicSegment, streamSegment).map(([t, s]) => request('stream info', 'GET', base(t, s), null)),
    fc.tuple(topicSegment, query(['prefix', 'limit'])).map(([t, q]) => request('stream list', 'GET', `/v1/topics/${t}/streams${q}`, null)),
    fc.tuple(topicSegment, streamSegment).map(([t, s]) => request('stream metadata', 'GET', `${base(t, s)}/metadata`, null)),
    jsonRequest('stream metadata', 'PUT', fc.tuple(topicSegment, otherStream).map(([t, s]) => `${base(t, s)}/metadata`), metadataBody),
    fc.tuple(topicSegment, streamSegment, query(['from'], 1)).map(([t, s, q]) => request('stream live', 'GET', `${base(t, s)}/live${q}`, null)),
    fc.tuple(topicSegment, otherStream).map(([t, s]) => request('stream soft delete', 'DELETE', base(t, s), null)),
    fc.tuple(topicSegment, otherStream, fc.constantFrom(undefined, Buffer.from('{}'), Buffer.from('{"force":true}'))).map(([t, s, body]) => request('stream erase', 'POST', `${base(t, s)}/erase`, body ? JSON_TYPE : null, body)),
  );
}

/** Every route, valid and mutated. */
export function fuzzRequest(fixture: FuzzFixture): fc.Arbitrary<FuzzRequest> {
  const { topic, partitions, group } = fixture;
  const topicSegment = segment([topic, 'no-such-topic']);
  /** Produce routes mostly name the fixture's topic and partitions, so the body's parsing is reached. */
  const produceTopic = segment([topic], 12);
  const producePartition = segment(Array.from({ length: partitions }, (_, i) => String(i)), 12);
  const partitionSegment = segment([...Array.from({ length: partitions }, (_, i) => String(i)), String(partitions)]);
  const groupSegment = segment([group, 'fuzz-other-group']);
  /** Groups that may be deleted, reset or joined: never the fixture's. */
  const otherGroup = segment(['fuzz-other-group', 'fuzz-joined']).filter((name) => name !== group);
  const unknownTopic = fc.constantFrom('no-such-topic', 'fuzz-gone', '..', 'a'.repeat(300));
  const records = recordsBody(fixture);
  const offsets = fc
    .array(fc.record({ topic: fc.constantFrom(topic, 'no-such-topic'), partition: fc.integer({ min: -1, max: partitions }), offset: fc.integer({ min: -1, max: 1000 }) }), { maxLength: 3 })
    .chain((entries) => mutateTree({ offsets: entries }));
  return fc.oneof(
    { weight: 6, arbitrary: streamRequest(fixture) },
    jsonRequest('produce', 'POST', fc.tuple(produceTopic, query(['partition', 'expectedOffset'], 1)).map(([t, q]) => `/v1/topics/${t}/records${q}`), records),
    fc
      .tuple(produceTopic, fc.oneof({ weight: 1, arbitrary: fc.constant('') }, { weight: 8, arbitrary: producePartition.map((p) => `?partition=${p}`) }), query(['expectedOffset'], 1), batchBody, contentType)
      .map(([t, p, q, { body, mutation }, type]) => request(`produce raw batch: ${mutation}`, 'POST', `/v1/topics/${t}/records${p}${p && q ? `&${q.slice(1)}` : q}`, type ?? BATCH_CONTENT_TYPE, body)),
    fc
      .tuple(produceTopic, producePartition, fc.constantFrom(Compression.gzip, Compression.snappy, Compression.lz4, Compression.zstd))
      .map(([t, p, compression]) => request(`compression bomb: ${compressionName(compression)}`, 'POST', `/v1/topics/${t}/records?partition=${p}`, BATCH_CONTENT_TYPE, bomb(compression))),
    produceTopic.map((t) => request('poison record: JSON nested 20,000 deep', 'POST', `/v1/topics/${t}/records`, JSON_TYPE, Buffer.from(JSON.stringify(poisonRecords)))),
    fc.constantFrom(...reservedTopicNames).map((name) => request(`reserved topic name ${name.slice(0, 20)}`, 'POST', '/v1/topics', JSON_TYPE, Buffer.from(JSON.stringify({ name, partitions: 1 })))),
    fc.tuple(produceTopic, fc.constantFrom(...reservedTopicNames)).map(([t, name]) => request(`reserved dead-letter topic ${name.slice(0, 20)}`, 'PUT', `/v1/topics/${t}/queues/fuzz-queue`, JSON_TYPE, Buffer.from(JSON.stringify({ deadLetterTopic: name })))),
    fc.tuple(produceTopic, fc.constantFrom(...typoRecords)).map(([t, body]) => request('misspelled produce body', 'POST', `/v1/topics/${t}/records`, JSON_TYPE, Buffer.from(JSON.stringify(body)))),
    fc.tuple(topicSegment, partitionSegment, fc.constantFrom(...hugeOffsets)).map(([t, p, offset]) => request('offset past 2^53', 'GET', `/v1/topics/${t}/partitions/${p}/records?offset=${offset}&maxWaitMs=0`, null)),
    fc
      .tuple(produceTopic, producePartition, fc.constantFrom(1, 2, 424242, 2 ** 53 - 1), fc.constantFrom(0, 1, 32767))
      .map(([t, p, producerId, producerEpoch]) =>
        request(`forged producer ${producerId}/${producerEpoch}`, 'POST', `/v1/topics/${t}/records?partition=${p}`, BATCH_CONTENT_TYPE, encodeRecordBatch([{ value: Buffer.from('x') }], { producerId, producerEpoch, baseSequence: 2 })),
      ),
    fc
      .tuple(topicSegment, partitionSegment, query(['offset', 'maxBytes', 'maxWaitMs', 'format', 'valueFormat']))
      .map(([t, p, q]) => request('fetch', 'GET', `/v1/topics/${t}/partitions/${p}/records${q}${q ? '&' : '?'}maxWaitMs=0`, null)),
    fc.tuple(topicSegment, partitionSegment, query(['timestamp'])).map(([t, p, q]) => request('offsets for time', 'GET', `/v1/topics/${t}/partitions/${p}/offsets${q}`, null)),
    jsonRequest(
      'create topic',
      'POST',
      fc.constant('/v1/topics'),
      fc.record({ name: fc.oneof(fc.constant(topic), fc.string({ maxLength: 12 })), partitions: fc.integer({ min: -1, max: 3 }), config: fc.dictionary(fc.constantFrom('retentionMs', 'segmentBytes', 'flush', 'cleanupPolicy', 'bogus'), oddValue, { maxKeys: 2 }) }).chain(mutateTree),
    ),
    jsonRequest('patch config', 'PATCH', topicSegment.map((t) => `/v1/topics/${t}/config`), fc.dictionary(fc.constantFrom('segmentMs', 'flush', 'maxMessageBytes', 'bogus', 'indexIntervalBytes'), oddValue, { maxKeys: 2 })),
    fc.oneof(topicSegment.map((t) => `/v1/topics/${t}`), fc.constant('/v1/topics')).map((path) => request('describe', 'GET', path, null)),
    unknownTopic.map((t) => request('delete unknown topic', 'DELETE', `/v1/topics/${encodeURIComponent(t)}`, null)),
    jsonRequest('commit', 'POST', groupSegment.map((g) => `/v1/groups/${g}/offsets`), offsets),
    groupSegment.map((g) => request('committed', 'GET', `/v1/groups/${g}/offsets`, null)),
    fc.oneof(groupSegment.map((g) => `/v1/groups/${g}`), fc.constant('/v1/groups')).map((path) => request('describe group', 'GET', path, null)),
    jsonRequest('join', 'POST', otherGroup.map((g) => `/v1/groups/${g}/members`), fc.record({ topics: fc.array(fc.constantFrom(topic, 'no-such-topic'), { maxLength: 2 }), sessionTimeoutMs: fc.integer({ min: 0, max: 400_000 }), assignor: fc.constantFrom('sticky', 'range', 'bogus') }, { requiredKeys: [] }).chain(mutateTree)),
    jsonRequest('heartbeat', 'POST', fc.tuple(groupSegment, segment(['no-such-member'])).map(([g, m]) => `/v1/groups/${g}/members/${m}/heartbeat`), fc.record({ revoked: fc.array(fc.record({ topic: fc.constant(topic), partition: fc.integer({ min: -1, max: 3 }) }), { maxLength: 2 }) }).chain(mutateTree)),
    fc.tuple(groupSegment, segment(['no-such-member'])).map(([g, m]) => request('leave', 'DELETE', `/v1/groups/${g}/members/${m}`, null)),
    jsonRequest('reset', 'POST', otherGroup.map((g) => `/v1/groups/${g}/reset`), fc.record({ topic: fc.constantFrom(topic, 'no-such-topic'), to: fc.oneof(fc.constantFrom('earliest', 'latest', 'middle'), fc.record({ offset: fc.integer({ min: -1, max: 100 }) })), dryRun: fc.boolean() }).chain(mutateTree)),
    otherGroup.map((g) => request('delete group', 'DELETE', `/v1/groups/${g}`, null)),
    jsonRequest('producer id', 'POST', fc.constant('/v1/producers'), fc.record({ clientId: oddValue }, { requiredKeys: [] }).chain(mutateTree)),
    fc.tuple(topicSegment, query(['partition', 'from', 'valueFormat'])).map(([t, q]) => request('live', 'GET', `/v1/topics/${t}/live${q}`, null)),
    fc
      .tuple(fc.constantFrom<FuzzRequest['method']>('GET', 'POST', 'PUT', 'PATCH', 'DELETE'), fc.constantFrom('/v1', '/v1/topics/x/y/z', '/v2/topics', '//', '/health/x', '/metrics', '/health', '/v1/groups/g/members/m'), contentType)
      .map(([method, path, type]) => request('other route', method, path, type, method === 'GET' ? undefined : Buffer.from('{}'))),
  );
}
