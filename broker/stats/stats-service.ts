/**
 * GET /v1/stats: what an operator looks at first, in one JSON answer (the console's Overview and
 * Topics pages read it; /metrics has the same facts for Prometheus). Sizes come from the logs'
 * own bookkeeping and one stat of the SQLite files, never from walking the data directory, so the
 * answer costs O(partitions) whatever the size of the log.
 */
import { stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { packageVersion } from '../package-files.js';
import type { TopicService } from '../topics/topic-service.js';
import type { HistoryPoint, TrafficRates, TrafficSampler } from './traffic-sampler.js';

export interface StatsDeps {
  dataDir: string;
  startedAtMs: number;
  topics: TopicService;
  sampler: TrafficSampler;
  /** Open HTTP connections. */
  connections: () => Promise<number>;
  liveSubscribers: () => Promise<number>;
  longPolls: () => Promise<number>;
  sampleIntervalMs: number;
}

export interface TopicStats extends TrafficRates {
  name: string;
  partitions: number;
  bytes: number;
  segments: number;
  retentionMs: number;
  retentionBytes: number;
  cleanupPolicy: string;
}

const SQLITE_FILES = ['spool.db', 'spool.db-wal', 'spool.db-shm'];

async function fileBytes(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0; // -wal and -shm exist only while the database is open in WAL mode
  }
}

export class StatsService {
  constructor(private readonly deps: StatsDeps) {}

  async stats(historyPoints: number) {
    const { deps } = this;
    const topics = deps.topics.names().map((name) => this.topicStats(name));
    const metadataBytes = (await Promise.all(SQLITE_FILES.map((file) => fileBytes(join(deps.dataDir, file))))).reduce((a, b) => a + b, 0);
    const disk = await statfs(deps.dataDir);
    const history = deps.sampler.history(historyPoints);
    return {
      version: packageVersion(),
      startedAt: new Date(deps.startedAtMs).toISOString(),
      uptimeMs: Date.now() - deps.startedAtMs,
      dataDir: deps.dataDir,
      dataDirBytes: topics.reduce((sum, topic) => sum + topic.bytes, 0) + metadataBytes,
      disk: { freeBytes: disk.bavail * disk.bsize, totalBytes: disk.blocks * disk.bsize },
      connections: await deps.connections(),
      liveSubscribers: await deps.liveSubscribers(),
      longPolls: await deps.longPolls(),
      rates: deps.sampler.totalRates(),
      fsync: fsyncSummary(deps.sampler.history(Number.MAX_SAFE_INTEGER)),
      history: { intervalMs: deps.sampleIntervalMs, points: history },
      topics,
    };
  }

  private topicStats(name: string): TopicStats {
    const description = this.deps.topics.describe(name);
    return {
      name,
      partitions: description.partitions,
      bytes: description.partitionDetails.reduce((sum, partition) => sum + partition.bytes, 0),
      segments: description.partitionDetails.reduce((sum, partition) => sum + partition.segments, 0),
      retentionMs: description.config.retentionMs,
      retentionBytes: description.config.retentionBytes,
      cleanupPolicy: description.config.cleanupPolicy,
      ...this.deps.sampler.topicRates(name),
    };
  }
}

/** fdatasync count, mean and max over the whole history window. */
function fsyncSummary(points: HistoryPoint[]): { count: number; meanMs: number; maxMs: number; windowMs: number } {
  let count = 0;
  let sumMs = 0;
  let maxMs = 0;
  for (const point of points) {
    count += point.fsyncs;
    sumMs += point.fsyncMeanMs * point.fsyncs;
    maxMs = Math.max(maxMs, point.fsyncMaxMs);
  }
  const windowMs = points.length > 0 ? points.at(-1)!.at - points[0]!.at : 0;
  return { count, meanMs: count > 0 ? sumMs / count : 0, maxMs, windowMs };
}
