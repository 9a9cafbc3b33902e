/**
 * What `spool consume` will read, decided before it starts: per partition, where reading starts
 * (the group's committed offset, or --from resolved against the partition) and where "the end" is
 * (the high watermark when the command started). Gives the progress bar its total and lets the
 * command say when --from is past the end instead of printing nothing.
 */
import type { Spool } from '../../spool.js';
import type { StartPoint } from '../options.js';

export interface PartitionRange {
  partition: number;
  logStartOffset: number;
  start: number;
  end: number;
}

export interface ReadPlan {
  ranges: PartitionRange[];
  /** Records between start and end, over every partition read. */
  total: number;
}

export async function planRead(spool: Spool, topic: string, options: { group?: string; from?: StartPoint; partition?: number }): Promise<ReadPlan> {
  const description = await spool.admin.describeTopic(topic);
  const committed = options.group
    ? new Map((await spool.admin.committedOffsets(options.group)).filter((entry) => entry.topic === topic).map((entry) => [entry.partition, entry.offset]))
    : new Map<number, number>();
  const ranges: PartitionRange[] = [];
  for (const detail of description.partitionDetails) {
    if (options.partition !== undefined && detail.partition !== options.partition) continue;
    const from = options.from ?? 'earliest';
    let start: number;
    if (committed.has(detail.partition)) start = committed.get(detail.partition)!;
    else if (from === 'earliest') start = detail.logStartOffset;
    else if (from === 'latest') start = detail.highWatermark;
    else if (from instanceof Date) start = await spool.admin.offsetForTimestamp(topic, detail.partition, from.getTime());
    else start = from;
    ranges.push({ partition: detail.partition, logStartOffset: detail.logStartOffset, start, end: detail.highWatermark });
  }
  const total = ranges.reduce((sum, range) => sum + Math.max(0, range.end - Math.max(range.start, range.logStartOffset)), 0);
  return { ranges, total };
}

/** Partitions where an explicit --from offset is past the end: nothing to print there yet. */
export function pastTheEnd(plan: ReadPlan, from: StartPoint | undefined): PartitionRange[] {
  return typeof from === 'number' ? plan.ranges.filter((range) => from > range.end) : [];
}
