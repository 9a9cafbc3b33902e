/** Reading a stream's records by their offsets (the stream index gives them). */
import { decodeRecordBatches, type DecodedRecord, type PartitionLog } from '../../storage/index.js';
import { BrokerError } from '../errors.js';

/** Bytes read from the log per step when collecting a stream's events. */
const READ_STEP_BYTES = 64 * 1024;

/** The records at `offsets` (ascending, all below the high watermark), read through the codec. */
export async function readRecordsAt(log: PartitionLog, offsets: number[]): Promise<DecodedRecord[]> {
  const found: DecodedRecord[] = [];
  let window = new Map<number, DecodedRecord>();
  for (const offset of offsets) {
    if (!window.has(offset)) {
      const read = await log.read(offset, READ_STEP_BYTES);
      window = new Map();
      for (const batch of decodeRecordBatches(read.data)) for (const record of batch.records) window.set(record.offset, record);
    }
    const record = window.get(offset);
    if (!record) throw new BrokerError('SPOOL_ERR_INTERNAL', `the stream index names offset ${offset}, which the log does not hold`, { offset, partition: log.partition });
    found.push(record);
  }
  return found;
}
