/**
 * Kafka RecordBatch v2 (magic 2), byte for byte. All integers big-endian.
 *
 *   off size field
 *     0    8 baseOffset            assigned by the broker on append (outside the CRC)
 *     8    4 batchLength           bytes after this field; batch size = 12 + batchLength
 *    12    4 partitionLeaderEpoch  0
 *    16    1 magic                 2
 *    17    4 crc                   CRC-32C of bytes 21..end
 *    21    2 attributes            bits 0-2 compression, 3 timestamp type, 4 transactional,
 *                                  5 control, 6 delete-horizon set
 *    23    4 lastOffsetDelta
 *    27    8 baseTimestamp         ms since epoch
 *    35    8 maxTimestamp
 *    43    8 producerId            -1 when none
 *    51    2 producerEpoch         -1 when none
 *    53    4 baseSequence          -1 when none
 *    57    4 recordsCount
 *    61    . records               compressed as one block when bits 0-2 != 0
 *
 * Record (varints are zigzag):
 *   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *   keyLength varint (-1 = null) | key | valueLength varint (-1 = null, a tombstone) | value |
 *   headerCount varint | headers: (keyLength varint | key utf8 | valueLength varint (-1 = null) | value)*
 *
 * The produce path calls validateBatch(), checkProducedBatch() (walks each record's framing
 * without allocating it and applies Kafka's produce rules) and setBaseOffset(): keys, values and
 * headers are never decoded there.
 */
import { StorageError } from '../errors.js';
import { storageLimits } from '../limits.js';
import { compress, Compression, decompress } from './compression.js';
import { crc32c } from './crc32c.js';
import { producedRecordsLargestTimestamp } from './produced-records.js';
import { readInt64, writeInt64 } from './int64.js';
import { VarintReader, varintSize, writeVarint } from './varint.js';

export const BATCH_HEADER_BYTES = 61;
/** Bytes before batchLength's count starts: baseOffset + batchLength. */
export const BATCH_LOG_OVERHEAD_BYTES = 12;
/** The smallest legal batchLength: a header with no records. */
export const BATCH_LENGTH_MIN = BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD_BYTES;
export const MAGIC_V2 = 2;
/** The HTTP content type of raw batches, one or more back to back (broker and client share it). */
export const BATCH_CONTENT_TYPE = 'application/vnd.spool.batch';
/**
 * Batches the broker remembers per idempotent producer and partition (Kafka keeps 5): a retry must
 * name one of these, so a producer never has more than this many batches unacknowledged at once.
 */
export const PRODUCER_BATCHES_REMEMBERED = 5;

const OFFSET_BATCH_LENGTH = 8;
const OFFSET_LEADER_EPOCH = 12;
const OFFSET_MAGIC = 16;
const OFFSET_CRC = 17;
const OFFSET_ATTRIBUTES = 21;
const OFFSET_LAST_OFFSET_DELTA = 23;
const OFFSET_BASE_TIMESTAMP = 27;
const OFFSET_MAX_TIMESTAMP = 35;
const OFFSET_PRODUCER_ID = 43;
const OFFSET_PRODUCER_EPOCH = 51;
const OFFSET_BASE_SEQUENCE = 53;
const OFFSET_RECORDS_COUNT = 57;

const COMPRESSION_MASK = 0x07;
export const ATTRIBUTE_LOG_APPEND_TIME = 0x08;
export const ATTRIBUTE_TRANSACTIONAL = 0x10;
export const ATTRIBUTE_CONTROL = 0x20;

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** What a producer supplies for one record. A null value is a tombstone. */
export interface RecordInput {
  key?: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  /** ms since epoch; defaults to the batch's base timestamp. */
  timestamp?: number;
}

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface BatchHeader {
  baseOffset: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

export interface DecodedBatch {
  header: BatchHeader;
  records: DecodedRecord[];
}

export interface EncodeBatchOptions {
  baseOffset?: number;
  /** Timestamp of records that carry none; defaults to Date.now(). */
  timestamp?: number;
  compression?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  partitionLeaderEpoch?: number;
  attributes?: number;
  /** Offset delta of each record (for compacted batches with gaps); defaults to 0, 1, 2, ... */
  offsetDeltas?: number[];
}

function corrupt(message: string, context: Record<string, unknown> = {}): never {
  throw new StorageError('SPOOL_ERR_CORRUPT_BATCH', message, context);
}


/** The batchLength field of the batch starting at `position` (not validated): readers of files frame batches with it. */
export function batchLengthAt(buffer: Buffer, position: number): number {
  return buffer.readInt32BE(position + OFFSET_BATCH_LENGTH);
}

/** Size in bytes of the batch starting at `position`, read from its length field (not validated). */
export function batchSizeAt(buffer: Buffer, position: number): number {
  return BATCH_LOG_OVERHEAD_BYTES + batchLengthAt(buffer, position);
}

export function readBatchHeader(buffer: Buffer, position = 0): BatchHeader {
  if (buffer.length - position < BATCH_HEADER_BYTES) {
    corrupt(`batch header is truncated: ${buffer.length - position} of ${BATCH_HEADER_BYTES} bytes`);
  }
  return {
    baseOffset: readInt64(buffer, position),
    batchLength: buffer.readInt32BE(position + OFFSET_BATCH_LENGTH),
    partitionLeaderEpoch: buffer.readInt32BE(position + OFFSET_LEADER_EPOCH),
    magic: buffer.readInt8(position + OFFSET_MAGIC),
    crc: buffer.readUInt32BE(position + OFFSET_CRC),
    attributes: buffer.readInt16BE(position + OFFSET_ATTRIBUTES),
    lastOffsetDelta: buffer.readInt32BE(position + OFFSET_LAST_OFFSET_DELTA),
    baseTimestamp: readInt64(buffer, position + OFFSET_BASE_TIMESTAMP),
    maxTimestamp: readInt64(buffer, position + OFFSET_MAX_TIMESTAMP),
    producerId: readInt64(buffer, position + OFFSET_PRODUCER_ID),
    producerEpoch: buffer.readInt16BE(position + OFFSET_PRODUCER_EPOCH),
    baseSequence: buffer.readInt32BE(position + OFFSET_BASE_SEQUENCE),
    recordsCount: buffer.readInt32BE(position + OFFSET_RECORDS_COUNT),
  };
}

/** The header of a batch whose CRC was checked already: its length must still frame it within the buffer. */
function frameChecked(buffer: Buffer, position: number): BatchHeader {
  const header = readBatchHeader(buffer, position);
  if (header.batchLength < BATCH_LENGTH_MIN || header.batchLength > buffer.length - position - BATCH_LOG_OVERHEAD_BYTES) corrupt(`batchLength ${header.batchLength} does not frame a batch within ${buffer.length - position} bytes`);
  return header;
}

/**
 * The fields that frame a batch on the way to another one (storage/log/segment-reader.ts), without
 * the rest of its header: its offsets and its magic.
 */
export function readBatchFrame(buffer: Buffer, position: number): { baseOffset: number; lastOffsetDelta: number; magic: number } {
  return { baseOffset: readInt64(buffer, position), lastOffsetDelta: buffer.readInt32BE(position + OFFSET_LAST_OFFSET_DELTA), magic: buffer.readInt8(position + OFFSET_MAGIC) };
}

/** The offset of the batch's last record. */
export function lastOffsetOf(header: BatchHeader): number {
  return header.baseOffset + header.lastOffsetDelta;
}

/**
 * Checks the batch that starts at `position` and must end at or before `end`: its length is sane
 * and within the buffer, its magic is 2, its counts are consistent and its CRC-32C matches.
 * Returns the header. Reads no record. Throws SPOOL_ERR_CORRUPT_BATCH or SPOOL_ERR_UNSUPPORTED_MAGIC.
 */
export function validateBatch(buffer: Buffer, position = 0, end = buffer.length): BatchHeader {
  const available = end - position;
  if (available < BATCH_HEADER_BYTES) corrupt(`batch is truncated: ${available} bytes, a header needs ${BATCH_HEADER_BYTES}`);
  const batchLength = buffer.readInt32BE(position + OFFSET_BATCH_LENGTH);
  if (batchLength < BATCH_LENGTH_MIN) corrupt(`batchLength ${batchLength} is below the minimum ${BATCH_LENGTH_MIN}`);
  if (batchLength > available - BATCH_LOG_OVERHEAD_BYTES) {
    corrupt(`batch is truncated: batchLength ${batchLength} runs past the ${available - BATCH_LOG_OVERHEAD_BYTES} bytes present`);
  }
  const magic = buffer.readInt8(position + OFFSET_MAGIC);
  if (magic !== MAGIC_V2) {
    throw new StorageError('SPOOL_ERR_UNSUPPORTED_MAGIC', `batch magic is ${magic}; only RecordBatch v2 (magic 2) is accepted`, { magic });
  }
  const batchEnd = position + BATCH_LOG_OVERHEAD_BYTES + batchLength;
  const storedCrc = buffer.readUInt32BE(position + OFFSET_CRC);
  const actualCrc = crc32c(buffer.subarray(position + OFFSET_ATTRIBUTES, batchEnd));
  if (storedCrc !== actualCrc) {
    corrupt(`batch CRC-32C mismatch: stored ${storedCrc.toString(16)}, computed ${actualCrc.toString(16)}`);
  }
  const header = readBatchHeader(buffer, position);
  if (header.recordsCount < 0) corrupt(`recordsCount ${header.recordsCount} is negative`);
  if (header.lastOffsetDelta < 0) corrupt(`lastOffsetDelta ${header.lastOffsetDelta} is negative`);
  if (header.recordsCount > header.lastOffsetDelta + 1) {
    corrupt(`recordsCount ${header.recordsCount} exceeds lastOffsetDelta + 1 (${header.lastOffsetDelta + 1})`);
  }
  return header;
}

export interface BatchSpan {
  /** Byte position of the batch within the buffer. */
  position: number;
  size: number;
  header: BatchHeader;
}

/**
 * Validates one or more batches laid back to back, filling the buffer exactly. `crcChecked`: the
 * batches come from a log read, which checked each one whole (storage/log/segment-reader.ts): they
 * are framed by their headers without computing their CRC again.
 */
export function splitBatches(buffer: Buffer, crcChecked = false): BatchSpan[] {
  const spans: BatchSpan[] = [];
  let position = 0;
  while (position < buffer.length) {
    const header = crcChecked ? frameChecked(buffer, position) : validateBatch(buffer, position);
    const size = BATCH_LOG_OVERHEAD_BYTES + header.batchLength;
    spans.push({ position, size, header });
    position += size;
  }
  if (spans.length === 0) corrupt('no record batch in an empty body');
  return spans;
}

/** Rewrites baseOffset in place. baseOffset is outside the CRC, so the batch stays valid. */
export function setBaseOffset(buffer: Buffer, position: number, baseOffset: number): void {
  writeInt64(buffer, position, baseOffset);
}

/**
 * Header keys as UTF-8. A few names recur in every record (content-type, spool.event.type, ...):
 * each header's key was measured, then made into a new Buffer, for every record encoded. Only
 * short keys are kept, and the table is emptied when full (a producer naming every header anew
 * pays what it paid before), so it holds at most HEADER_KEYS_CACHED × HEADER_KEY_CACHED_CHARS × 3 bytes.
 */
const HEADER_KEYS_CACHED = 256;
const HEADER_KEY_CACHED_CHARS = 64;
const headerKeys = new Map<string, Buffer>();

function headerKeyBytes(key: string): Buffer {
  let bytes = headerKeys.get(key);
  if (bytes !== undefined) return bytes;
  bytes = Buffer.from(key, 'utf8');
  if (key.length <= HEADER_KEY_CACHED_CHARS) {
    if (headerKeys.size >= HEADER_KEYS_CACHED) headerKeys.clear();
    headerKeys.set(key, bytes);
  }
  return bytes;
}

function headersSize(headers: RecordHeader[] | undefined): number {
  if (headers === undefined || headers.length === 0) return 1;
  let size = varintSize(headers.length);
  for (const header of headers) {
    const keyBytes = headerKeyBytes(header.key).length;
    size += varintSize(keyBytes) + keyBytes;
    size += header.value === null ? 1 : varintSize(header.value.length) + header.value.length;
  }
  return size;
}

function bytesFieldSize(bytes: Buffer | null | undefined): number {
  return bytes === null || bytes === undefined ? 1 : varintSize(bytes.length) + bytes.length;
}

function writeBytesField(buffer: Buffer, position: number, bytes: Buffer | null): number {
  if (bytes === null) return writeVarint(buffer, position, -1);
  position = writeVarint(buffer, position, bytes.length);
  // TypedArray.set is cheaper than Buffer.copy for the small values records usually hold.
  buffer.set(bytes, position);
  return position + bytes.length;
}

/**
 * The records section of a batch. Hot: a producer encodes every record here, so it is one pass to
 * size and one to write, with no per-record allocation, straight into the batch's buffer when
 * the batch is not compressed.
 */
function sizeRecords(records: RecordInput[], baseTimestamp: number, offsetDeltas: number[] | undefined): { bodySizes: Int32Array; total: number } {
  const count = records.length;
  const bodySizes = new Int32Array(count);
  let total = 0;
  for (let i = 0; i < count; i++) {
    const record = records[i]!;
    const size =
      1 + // attributes
      varintSize((record.timestamp ?? baseTimestamp) - baseTimestamp) +
      varintSize(offsetDeltas ? offsetDeltas[i]! : i) +
      bytesFieldSize(record.key) +
      bytesFieldSize(record.value) +
      headersSize(record.headers);
    bodySizes[i] = size;
    total += varintSize(size) + size;
  }
  return { bodySizes, total };
}

function writeRecords(out: Buffer, position: number, records: RecordInput[], bodySizes: Int32Array, baseTimestamp: number, offsetDeltas: number[] | undefined): void {
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    position = writeVarint(out, position, bodySizes[i]!);
    out[position++] = 0; // record attributes: unused in v2
    position = writeVarint(out, position, (record.timestamp ?? baseTimestamp) - baseTimestamp);
    position = writeVarint(out, position, offsetDeltas ? offsetDeltas[i]! : i);
    position = writeBytesField(out, position, record.key ?? null);
    position = writeBytesField(out, position, record.value);
    const headers = record.headers;
    if (headers === undefined || headers.length === 0) {
      out[position++] = 0;
      continue;
    }
    position = writeVarint(out, position, headers.length);
    for (const header of headers) {
      position = writeBytesField(out, position, headerKeyBytes(header.key));
      position = writeBytesField(out, position, header.value);
    }
  }
}

/** Encodes records into one RecordBatch v2. */
export function encodeRecordBatch(records: RecordInput[], options: EncodeBatchOptions = {}): Buffer {
  if (records.length === 0) throw new RangeError('a record batch holds at least one record');
  const now = options.timestamp ?? Date.now();
  let baseTimestamp = Infinity;
  let maxTimestamp = -Infinity;
  for (const record of records) {
    const timestamp = record.timestamp ?? now;
    if (timestamp < baseTimestamp) baseTimestamp = timestamp;
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
  }
  // Kafka producers use the first record's timestamp as the base; the smallest keeps deltas >= 0.
  const offsetDeltas = options.offsetDeltas;
  if (offsetDeltas && offsetDeltas.length !== records.length) throw new RangeError('offsetDeltas must match records');
  const compression = options.compression ?? Compression.none;
  const { bodySizes, total } = sizeRecords(records, baseTimestamp, offsetDeltas);
  let batch: Buffer;
  if (compression === Compression.none) {
    batch = Buffer.allocUnsafe(BATCH_HEADER_BYTES + total);
    writeRecords(batch, BATCH_HEADER_BYTES, records, bodySizes, baseTimestamp, offsetDeltas);
  } else {
    const plain = Buffer.allocUnsafe(total);
    writeRecords(plain, 0, records, bodySizes, baseTimestamp, offsetDeltas);
    const compressed = compress(compression, plain);
    batch = Buffer.allocUnsafe(BATCH_HEADER_BYTES + compressed.length);
    compressed.copy(batch, BATCH_HEADER_BYTES);
  }
  writeInt64(batch, 0, options.baseOffset ?? 0);
  batch.writeInt32BE(batch.length - BATCH_LOG_OVERHEAD_BYTES, OFFSET_BATCH_LENGTH);
  batch.writeInt32BE(options.partitionLeaderEpoch ?? 0, OFFSET_LEADER_EPOCH);
  batch.writeInt8(MAGIC_V2, OFFSET_MAGIC);
  batch.writeInt16BE(((options.attributes ?? 0) & ~COMPRESSION_MASK) | compression, OFFSET_ATTRIBUTES);
  batch.writeInt32BE(offsetDeltas ? offsetDeltas[offsetDeltas.length - 1]! : records.length - 1, OFFSET_LAST_OFFSET_DELTA);
  writeInt64(batch, OFFSET_BASE_TIMESTAMP, baseTimestamp);
  writeInt64(batch, OFFSET_MAX_TIMESTAMP, maxTimestamp);
  writeInt64(batch, OFFSET_PRODUCER_ID, options.producerId ?? -1);
  batch.writeInt16BE(options.producerEpoch ?? -1, OFFSET_PRODUCER_EPOCH);
  batch.writeInt32BE(options.baseSequence ?? -1, OFFSET_BASE_SEQUENCE);
  batch.writeInt32BE(records.length, OFFSET_RECORDS_COUNT);
  batch.writeUInt32BE(crc32c(batch.subarray(OFFSET_ATTRIBUTES)), OFFSET_CRC);
  return batch;
}

export function compressionOf(header: BatchHeader): number {
  return header.attributes & COMPRESSION_MASK;
}

/**
 * Reads one record. With `keep` false nothing is allocated for keys, values or headers: the record
 * is only checked (checkProducedBatch), with exactly the rules decoding applies.
 */
/**
 * Where one record's parts lie in its batch's records block: what a lazy reader keeps instead of
 * decoding (a length of -1 is null). scanRecordBatch reuses one layout for every record.
 */
export interface RecordLayout {
  /** Where the record (its length varint) starts in the block: enough to read it again later. */
  recordStart: number;
  offset: number;
  timestamp: number;
  keyStart: number;
  keyLength: number;
  valueStart: number;
  valueLength: number;
  headersStart: number;
  headerCount: number;
}

/** Reads and checks one record's layout; the reader ends after the record. */
function readLayout(reader: VarintReader, header: BatchHeader, layout: RecordLayout): void {
  layout.recordStart = reader.position;
  const length = reader.varint();
  if (length < 0 || reader.position + length > reader.end) {
    corrupt(`record length ${length} runs past the batch`, { baseOffset: header.baseOffset });
  }
  const recordEnd = reader.position + length;
  // The same reader, narrowed to this record: no allocation per record (a fetch has millions).
  const blockEnd = reader.end;
  reader.end = recordEnd;
  reader.int8(); // attributes: unused in v2
  const timestampDelta = reader.varlong();
  const offsetDelta = reader.varint();
  layout.keyLength = reader.varint();
  layout.keyStart = reader.position;
  reader.skip(layout.keyLength, 'key');
  layout.valueLength = reader.varint();
  layout.valueStart = reader.position;
  reader.skip(layout.valueLength, 'value');
  const headerCount = reader.varint();
  if (headerCount < 0 || headerCount > length) corrupt(`header count ${headerCount} is impossible`);
  layout.headersStart = reader.position;
  layout.headerCount = headerCount;
  for (let i = 0; i < headerCount; i++) {
    const keyLength = reader.varint();
    if (keyLength === -1) corrupt('a header key is null');
    reader.skip(keyLength, 'header key');
    reader.skip(reader.varint(), 'header value');
  }
  if (reader.position !== recordEnd) corrupt(`record has ${recordEnd - reader.position} trailing bytes`);
  if (offsetDelta < 0 || offsetDelta > header.lastOffsetDelta) {
    corrupt(`offsetDelta ${offsetDelta} is outside 0..${header.lastOffsetDelta}`);
  }
  reader.end = blockEnd;
  layout.offset = header.baseOffset + offsetDelta;
  layout.timestamp = header.attributes & ATTRIBUTE_LOG_APPEND_TIME ? header.maxTimestamp : header.baseTimestamp + timestampDelta;
}

/** Reads the layout of the record at `recordStart` of a block that was scanned (and so checked) before. */
export function readLayoutAt(block: Buffer, recordStart: number, header: BatchHeader, layout: RecordLayout = newLayout()): RecordLayout {
  readLayout(new VarintReader(block, recordStart, block.length), header, layout);
  return layout;
}

/** The headers of a record whose layout was read (their bytes were checked then). */
export function readHeaders(block: Buffer, headersStart: number, headerCount: number): RecordHeader[] {
  const reader = new VarintReader(block, headersStart, block.length);
  const headers: RecordHeader[] = new Array(headerCount);
  for (let i = 0; i < headerCount; i++) {
    const key = reader.bytes(reader.varint(), 'header key')!;
    headers[i] = { key: key.toString('utf8'), value: reader.bytes(reader.varint(), 'header value') };
  }
  return headers;
}

const field = (block: Buffer, start: number, length: number): Buffer | null => (length < 0 ? null : block.subarray(start, start + length));

function newLayout(): RecordLayout {
  return { recordStart: 0, offset: 0, timestamp: 0, keyStart: 0, keyLength: -1, valueStart: 0, valueLength: -1, headersStart: 0, headerCount: 0 };
}

/**
 * The most a batch's records section may decompress to when the caller names no limit: no batch
 * decompressing past it can be stored (produce checks the topic's maxMessageBytes, at most this),
 * and a reader never holds more than this for one batch.
 */
export const DECOMPRESSED_BYTES_MAX_DEFAULT = storageLimits.batchBytesMax;

function recordsBlock(buffer: Buffer, position: number, header: BatchHeader, decompressedBytesMax: number): Buffer {
  const batchEnd = position + BATCH_LOG_OVERHEAD_BYTES + header.batchLength;
  return decompress(compressionOf(header), buffer.subarray(position + BATCH_HEADER_BYTES, batchEnd), decompressedBytesMax);
}

/**
 * Validates and decodes the batch at `position`. Keys, values and header values are views into the
 * given buffer (or into the decompressed block): copy them to keep them past the buffer's life.
 */
export function decodeRecordBatch(buffer: Buffer, position = 0, end = buffer.length, decompressedBytesMax = DECOMPRESSED_BYTES_MAX_DEFAULT): DecodedBatch {
  const header = validateBatch(buffer, position, end);
  return decodeBlock(header, recordsBlock(buffer, position, header, decompressedBytesMax));
}

function recordAt(block: Buffer, layout: RecordLayout): DecodedRecord {
  return {
    offset: layout.offset,
    timestamp: layout.timestamp,
    key: field(block, layout.keyStart, layout.keyLength),
    value: field(block, layout.valueStart, layout.valueLength),
    headers: layout.headerCount === 0 ? [] : readHeaders(block, layout.headersStart, layout.headerCount),
  };
}

function decodeBlock(header: BatchHeader, block: Buffer): DecodedBatch {
  const records: DecodedRecord[] = new Array(header.recordsCount);
  let i = 0;
  scanBlock(block, header, (layout) => {
    records[i++] = recordAt(block, layout);
  });
  return { header, records };
}

/**
 * The records at or past `fromOffset` only: those before it are passed over by their lengths (or,
 * in a compacted batch, walked), not materialized. A reader that starts inside a large batch (a live tail sampling the newest 50 of
 * a 9,000-record batch, a fetch from an offset) would otherwise allocate every record of it.
 */
function decodeBlockFrom(header: BatchHeader, block: Buffer, fromOffset: number): DecodedBatch {
  if (fromOffset <= header.baseOffset) return decodeBlock(header, block);
  const records: DecodedRecord[] = [];
  const cursor = new RecordCursor(block, header);
  // Dense offsets (every produced batch; compaction leaves gaps): record i is at baseOffset + i.
  if (header.lastOffsetDelta === header.recordsCount - 1) cursor.skip(fromOffset - header.baseOffset);
  while (cursor.next()) if (cursor.layout.offset >= fromOffset) records.push(recordAt(block, cursor.layout));
  return { header, records };
}

function scanBlock(block: Buffer, header: BatchHeader, visit: (layout: RecordLayout) => void): void {
  const cursor = new RecordCursor(block, header);
  while (cursor.next()) visit(cursor.layout);
}

/**
 * Walks the records of a batch's block one layout at a time (one layout object, reused): the loop
 * of readers that decode fields only when asked, without a callback per record. Each next()
 * checks the record it reads; the last one checks that the block ends with it.
 */
export class RecordCursor {
  readonly layout: RecordLayout = newLayout();
  private readonly reader: VarintReader;
  private remaining: number;

  constructor(readonly block: Buffer, private readonly header: BatchHeader) {
    this.reader = new VarintReader(block, 0, block.length);
    this.remaining = header.recordsCount;
  }

  /** Reads the next record's layout into `layout`; false once every record was read. */
  next(): boolean {
    if (this.remaining === 0) {
      if (this.reader.position !== this.block.length) corrupt(`batch has ${this.block.length - this.reader.position} bytes after its last record`);
      return false;
    }
    this.remaining--;
    readLayout(this.reader, this.header, this.layout);
    return true;
  }

  /**
   * Passes over the next `count` records by their length alone, neither reading nor checking
   * them: for a reader that wants only the records after them (the CRC covered their bytes).
   */
  skip(count: number): void {
    for (let i = 0; i < count && this.remaining > 0; i++, this.remaining--) {
      const length = this.reader.varint();
      if (length < 0) corrupt(`record length ${length} is negative`, { baseOffset: this.header.baseOffset });
      this.reader.skip(length, 'record');
    }
  }
}

/**
 * The records of one batch at the ascending offsets wanted[from, to), as far as the batch holds
 * them in order: it stops at the first wanted offset past the batch, or missing from it (a gap).
 * The batch was checked whole by the read that returned it (no CRC here); records between the
 * wanted ones are passed over by their lengths in a dense batch, never materialized: a stream's
 * event among 50 others' in a batch written by coalesced appends costs one record, not 50.
 */
export function decodeRecordsAt(batch: Buffer, header: BatchHeader, wanted: readonly number[], from: number, to: number): DecodedRecord[] {
  const block = recordsBlock(batch, 0, header, DECOMPRESSED_BYTES_MAX_DEFAULT);
  const cursor = new RecordCursor(block, header);
  const dense = header.lastOffsetDelta === header.recordsCount - 1;
  const last = lastOffsetOf(header);
  const found: DecodedRecord[] = [];
  let next = from;
  let nextRecordOffset = header.baseOffset;
  while (next < to && wanted[next]! <= last) {
    const target = wanted[next]!;
    if (dense && target > nextRecordOffset) cursor.skip(target - nextRecordOffset);
    if (!cursor.next()) break;
    nextRecordOffset = cursor.layout.offset + 1;
    if (cursor.layout.offset === target) {
      found.push(recordAt(block, cursor.layout));
      next++;
    } else if (cursor.layout.offset > target) {
      break; // a gap where the offset should be
    }
  }
  return found;
}

/**
 * Validates the batch at `position` (size, magic, CRC) and returns a cursor over its records'
 * layouts. Positions are in the cursor's block (the batch's records, decompressed if need be).
 * Each record is checked as the cursor reaches it, and the batch's end once it has read them all:
 * a caller that stops early has not checked the rest.
 */
export function scanRecordBatch(buffer: Buffer, position: number, end: number, decompressedBytesMax = DECOMPRESSED_BYTES_MAX_DEFAULT): { header: BatchHeader; records: RecordCursor } {
  const header = validateBatch(buffer, position, end);
  return { header, records: new RecordCursor(recordsBlock(buffer, position, header, decompressedBytesMax), header) };
}

/**
 * The produce rules (Kafka's LogValidator has the same), checked on every batch a producer sends,
 * on top of what decoding needs. Each forged field once did lasting damage:
 *
 * | rule                                                   | what a forged batch did                      |
 * |--------------------------------------------------------|----------------------------------------------|
 * | recordsCount >= 1, lastOffsetDelta = recordsCount - 1  | 2^31-1 on a one-record batch: three requests |
 * |                                                        | moved the next offset to 6.4 billion         |
 * | record i has offsetDelta i                             | [1,1] put two records at one offset; [0,5]   |
 * |                                                        | left offsets no record has                   |
 * | every timestamp in 0..2^53-1, maxTimestamp = the       | maxTimestamp 2^63-1 made every later segment |
 * | largest record timestamp (create time)                 | roll fail writing the time index, for ever   |
 * | not a control batch, not transactional                 | markers only a transaction coordinator       |
 * |                                                        | writes; Spool has none                       |
 *
 * The CRC only proves the bytes are the ones the producer sent: a producer that computes it over
 * malformed records would otherwise get a batch stored that every consumer then fails to read. No
 * key, value or header is allocated. Throws SPOOL_ERR_INVALID_BATCH naming the field, or
 * SPOOL_ERR_CORRUPT_BATCH for records that do not decode.
 */
export function checkProducedBatch(
  buffer: Buffer,
  position: number,
  header: BatchHeader,
  decompressedBytesMax = DECOMPRESSED_BYTES_MAX_DEFAULT,
  /** Told each keyed record (the stream index's walk rides on this one: no second pass). */
  onKey?: (key: Buffer, offsetDelta: number) => void,
): void {
  if (header.attributes & (ATTRIBUTE_CONTROL | ATTRIBUTE_TRANSACTIONAL)) {
    invalid('attributes', 'control and transactional batches are not accepted (Spool has no transactions)');
  }
  if (header.recordsCount < 1) invalid('recordsCount', 'a produced batch holds at least one record');
  if (header.lastOffsetDelta !== header.recordsCount - 1) {
    invalid('lastOffsetDelta', `is ${header.lastOffsetDelta}, must be recordsCount - 1 = ${header.recordsCount - 1}`);
  }
  const logAppendTime = (header.attributes & ATTRIBUTE_LOG_APPEND_TIME) !== 0;
  for (const [field, value] of [['baseTimestamp', header.baseTimestamp], ['maxTimestamp', header.maxTimestamp]] as const) {
    if (!isTimestamp(value)) invalid(field, `${value} is not a time in 0..2^53-1 ms`);
  }
  const block = recordsBlock(buffer, position, header, decompressedBytesMax);
  // The fast walk answers for well-formed batches; the full one below finds what is wrong (and
  // tells each key to onKey, which the fast walk does not).
  const largest = (onKey ? null : producedRecordsLargestTimestamp(block, header, logAppendTime)) ?? walkProducedRecords(block, header, onKey);
  if (!logAppendTime && header.maxTimestamp !== largest) invalid('maxTimestamp', `is ${header.maxTimestamp}, the largest record timestamp is ${largest}`);
}

/** checkProducedBatch's record rules through the full record reader: answers the largest record timestamp. */
function walkProducedRecords(block: Buffer, header: BatchHeader, onKey?: (key: Buffer, offsetDelta: number) => void): number {
  const cursor = new RecordCursor(block, header);
  let index = 0;
  let largest = -1;
  while (cursor.next()) {
    const { offset, timestamp } = cursor.layout;
    if (offset - header.baseOffset !== index) invalid(`records[${index}].offsetDelta`, `is ${offset - header.baseOffset}, must be ${index} (record ${index} of the batch)`);
    if (!isTimestamp(timestamp)) invalid(`records[${index}].timestampDelta`, `gives the time ${timestamp}, not in 0..2^53-1 ms`);
    if (timestamp > largest) largest = timestamp;
    if (onKey && cursor.layout.keyLength >= 0) onKey(cursor.block.subarray(cursor.layout.keyStart, cursor.layout.keyStart + cursor.layout.keyLength), index);
    index++;
  }
  return largest;
}

/** A produce rule broken: SPOOL_ERR_INVALID_BATCH naming the field. */
function invalid(field: string, message: string): never {
  throw new StorageError('SPOOL_ERR_INVALID_BATCH', `${field}: ${message}`, { field });
}

function isTimestamp(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

export interface DecodedRead {
  batches: DecodedBatch[];
  /** The offset after the last batch decoded (or passed over, before `fromOffset`): where the next read starts when some were left. */
  nextOffset: number;
  /** Whether batches were left out for the budget. */
  cut: boolean;
}

/**
 * Decodes the batches of one read until their records (decompressed) pass `budgetBytes`: the
 * batches after the one that reaches it are left for the next read, so a read of many small
 * compressed batches (each within maxMessageBytes, together gigabytes) cannot inflate without
 * bound on the event loop. The first batch is always decoded (within the per-batch limit), so a
 * read always moves on. A later batch is decompressed with the budget left as its limit, so the
 * one that would pass it costs no more than the budget before it is left out. Records before
 * `fromOffset` (a reader that starts inside a batch) are left out without being materialized, and
 * batches wholly before it without being decompressed.
 */
export function decodeRecordBatchesWithin(buffer: Buffer, budgetBytes: number, fromOffset = 0, crcChecked = false): DecodedRead {
  const spans = buffer.length === 0 ? [] : splitBatches(buffer, crcChecked);
  const batches: DecodedBatch[] = [];
  let usedBytes = 0;
  let nextOffset = 0;
  for (const span of spans) {
    // A batch wholly before fromOffset holds nothing the reader wants: not even decompressed.
    if (lastOffsetOf(span.header) < fromOffset) {
      nextOffset = lastOffsetOf(span.header) + 1;
      continue;
    }
    const first = batches.length === 0;
    const remaining = budgetBytes - usedBytes;
    if (!first && remaining <= 0) return { batches, nextOffset, cut: true };
    let block: Buffer;
    try {
      block = recordsBlock(buffer, span.position, span.header, first ? DECOMPRESSED_BYTES_MAX_DEFAULT : remaining);
    } catch (error) {
      if (!first && error instanceof StorageError && error.code === 'SPOOL_ERR_DECOMPRESSED_TOO_LARGE') return { batches, nextOffset, cut: true };
      throw error;
    }
    usedBytes += block.length;
    batches.push(decodeBlockFrom(span.header, block, fromOffset));
    nextOffset = lastOffsetOf(span.header) + 1;
  }
  return { batches, nextOffset, cut: false };
}

/** Decodes every batch in a buffer of back-to-back batches (none in an empty buffer). */
export function decodeRecordBatches(buffer: Buffer, decompressedBytesMax = DECOMPRESSED_BYTES_MAX_DEFAULT): DecodedBatch[] {
  if (buffer.length === 0) return [];
  return splitBatches(buffer).map((span) => decodeRecordBatch(buffer, span.position, span.position + span.size, decompressedBytesMax));
}
