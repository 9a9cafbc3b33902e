/**
 * The workloads, after the OpenMessaging Benchmark's: one producer in this process, consumers in
 * this process, the server in its own. "live" runs producer and consumers together for a fixed
 * time; "backlog" produces first and then reads everything from the start.
 *
 *   W1      1 partition, 1 KiB records, max rate, 1 consumer group
 *   W2      1 partition, 100-byte records, max rate, 1 consumer group
 *   W2@10k  W2 at a fixed 10,000 records/s, open loop: latency from each record's scheduled time
 *   W3      16 partitions (16 streams for the peers), 1 KiB records, max rate, 1 consumer group
 *   W4      1 partition, 1 KiB records, max rate, fan-out to 4 consumer groups
 *   W5      backlog catch-up: 100-byte records produced first, then replayed from the start
 */

export interface Workload {
  id: string;
  title: string;
  recordBytes: number;
  partitions: number;
  /** Consumer groups reading all records (live runs). */
  groups: number;
  kind: 'live' | 'backlog';
  /** null: as fast as acknowledgements allow (closed loop with a window); else open loop at this rate. */
  ratePerSecond: number | null;
}

/** Records per send (per Redis pipeline, per batch of NATS async publishes, per Spool send()). */
export const CHUNK_RECORDS = 1000;
/** Sends in flight at max rate. */
export const WINDOW_CHUNKS = 8;

export const WORKLOADS: readonly Workload[] = [
  { id: 'W1', title: '1 partition, 1 KiB records', recordBytes: 1024, partitions: 1, groups: 1, kind: 'live', ratePerSecond: null },
  { id: 'W2', title: '1 partition, 100 B records', recordBytes: 100, partitions: 1, groups: 1, kind: 'live', ratePerSecond: null },
  { id: 'W2@10k', title: 'W2 at 10,000 records/s, open loop', recordBytes: 100, partitions: 1, groups: 1, kind: 'live', ratePerSecond: 10_000 },
  { id: 'W3', title: '16 partitions, 1 KiB records', recordBytes: 1024, partitions: 16, groups: 1, kind: 'live', ratePerSecond: null },
  { id: 'W4', title: 'fan-out to 4 groups, 1 KiB records', recordBytes: 1024, partitions: 1, groups: 4, kind: 'live', ratePerSecond: null },
  { id: 'W5', title: 'backlog catch-up, 100 B records', recordBytes: 100, partitions: 1, groups: 0, kind: 'backlog', ratePerSecond: null },
];
