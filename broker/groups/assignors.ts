/**
 * Partition assignors of consumer groups, computed by the broker (not by a group leader as in
 * Kafka's classic protocol): each returns the desired owner of every subscribed partition.
 *
 * - range: per topic, partitions in order are cut into contiguous ranges, one per member (Kafka's
 *   RangeAssignor): members get the same partition numbers across co-partitioned topics.
 * - roundrobin: all partitions in (topic, partition) order dealt to members in turn.
 * - sticky (default): keeps every member's current partitions up to its fair share and deals the
 *   rest to the least loaded, so a join or a leave moves only the partitions it must.
 *
 * Members that do not subscribe to a partition's topic never get it. Members are sorted by id, so
 * the result is deterministic.
 */
export interface TopicPartition {
  topic: string;
  partition: number;
}

export type AssignorName = 'range' | 'roundrobin' | 'sticky';
export const assignorNames: readonly AssignorName[] = ['range', 'roundrobin', 'sticky'];

export interface AssignmentMember {
  memberId: string;
  /** Partitions this member may be given (its subscription resolved to partitions). */
  eligible: (tp: TopicPartition) => boolean;
  /** Partitions the member holds now (for sticky). */
  current: TopicPartition[];
}

/** key: `topic:partition` → memberId. */
export type Assignment = Map<string, string>;

export function tpKey(tp: TopicPartition): string {
  return `${tp.topic}:${tp.partition}`;
}

export function parseTpKey(key: string): TopicPartition {
  const at = key.lastIndexOf(':');
  return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)) };
}

function sortPartitions(partitions: TopicPartition[]): TopicPartition[] {
  return [...partitions].sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}

function sortMembers(members: AssignmentMember[]): AssignmentMember[] {
  return [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
}

function rangeAssign(members: AssignmentMember[], partitions: TopicPartition[]): Assignment {
  const result: Assignment = new Map();
  const byTopic = new Map<string, TopicPartition[]>();
  for (const tp of sortPartitions(partitions)) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp]);
  for (const topicPartitions of byTopic.values()) {
    const eligible = members.filter((member) => member.eligible(topicPartitions[0]!));
    if (eligible.length === 0) continue;
    const share = Math.floor(topicPartitions.length / eligible.length);
    const extra = topicPartitions.length % eligible.length;
    let at = 0;
    eligible.forEach((member, i) => {
      const count = share + (i < extra ? 1 : 0);
      for (const tp of topicPartitions.slice(at, at + count)) result.set(tpKey(tp), member.memberId);
      at += count;
    });
  }
  return result;
}

function roundRobinAssign(members: AssignmentMember[], partitions: TopicPartition[]): Assignment {
  const result: Assignment = new Map();
  let turn = 0;
  for (const tp of sortPartitions(partitions)) {
    for (let tries = 0; tries < members.length; tries++) {
      const member = members[turn++ % members.length]!;
      if (member.eligible(tp)) {
        result.set(tpKey(tp), member.memberId);
        break;
      }
    }
  }
  return result;
}

function stickyAssign(members: AssignmentMember[], partitions: TopicPartition[]): Assignment {
  const result: Assignment = new Map();
  const load = new Map(members.map((member) => [member.memberId, 0]));
  const wanted = new Set(partitions.map(tpKey));
  const eligibleCount = Math.max(1, members.length);
  const floor = Math.floor(partitions.length / eligibleCount);
  let ceilingSlots = partitions.length % eligibleCount;
  // Keep current partitions up to the fair share; one more for as many members as the remainder allows.
  for (const member of members) {
    const keep = sortPartitions(member.current).filter((tp) => wanted.has(tpKey(tp)) && !result.has(tpKey(tp)) && member.eligible(tp));
    let limit = floor;
    if (keep.length > floor && ceilingSlots > 0) {
      limit = floor + 1;
      ceilingSlots--;
    }
    for (const tp of keep.slice(0, limit)) {
      result.set(tpKey(tp), member.memberId);
      load.set(member.memberId, load.get(member.memberId)! + 1);
    }
  }
  // Deal the rest to the least loaded eligible member.
  for (const tp of sortPartitions(partitions)) {
    if (result.has(tpKey(tp))) continue;
    let best: AssignmentMember | null = null;
    for (const member of members) {
      if (!member.eligible(tp)) continue;
      if (!best || load.get(member.memberId)! < load.get(best.memberId)!) best = member;
    }
    if (!best) continue;
    result.set(tpKey(tp), best.memberId);
    load.set(best.memberId, load.get(best.memberId)! + 1);
  }
  return result;
}

export function assign(assignor: AssignorName, members: AssignmentMember[], partitions: TopicPartition[]): Assignment {
  const sorted = sortMembers(members);
  if (sorted.length === 0) return new Map();
  if (assignor === 'range') return rangeAssign(sorted, partitions);
  if (assignor === 'roundrobin') return roundRobinAssign(sorted, partitions);
  return stickyAssign(sorted, partitions);
}
