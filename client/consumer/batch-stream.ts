/**
 * Cuts the body of a followed fetch (raw RecordBatch v2 bytes back to back, streamed as the broker
 * appends them) into whole batches: chunks arrive wherever the socket split them, and a batch is
 * handed on only once all of its bytes are here. Batches frame themselves (12 + batchLength bytes),
 * so the stream needs no framing of its own; each batch is checked (size, magic, CRC) when decoded.
 */
import { BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD_BYTES, batchSizeAt, lastOffsetOf, readBatchHeader } from '../../storage/codec/index.js';
import { SpoolClientError } from '../errors.js';

const EMPTY = Buffer.alloc(0);

export class BatchStream {
  private pending: Buffer = EMPTY;

  /**
   * Takes a chunk; answers the whole batches now complete (null if none) and the offset after the
   * last of them. A batch longer than `batchBytesMax` is refused rather than waited for.
   */
  push(chunk: Buffer, batchBytesMax: number): { data: Buffer; nextOffset: number } | null {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let end = 0;
    let last = -1;
    while (this.pending.length - end >= BATCH_HEADER_BYTES) {
      const size = batchSizeAt(this.pending, end);
      if (size < BATCH_HEADER_BYTES || size > batchBytesMax + BATCH_LOG_OVERHEAD_BYTES) {
        throw SpoolClientError.local('SPOOL_ERR_NETWORK', `a followed fetch is garbled: it announced a batch of ${size} bytes (at most ${batchBytesMax + BATCH_LOG_OVERHEAD_BYTES} expected)`);
      }
      if (this.pending.length - end < size) break;
      last = end;
      end += size;
    }
    if (last < 0) return null;
    const data = this.pending.subarray(0, end);
    this.pending = end === this.pending.length ? EMPTY : this.pending.subarray(end);
    return { data, nextOffset: lastOffsetOf(readBatchHeader(data, last)) + 1 };
  }
}
