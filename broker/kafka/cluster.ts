/**
 * What the Kafka listener tells clients about the cluster: one broker (node 0, also the
 * controller), the address clients should connect to, a cluster id stable per data directory, and
 * topic ids. A topic id is derived from the cluster id, the topic's name and its creation time, so
 * it is stable across restarts and differs when a deleted name is created again, without a
 * column of its own.
 */
import { createHash } from 'node:crypto';
import type { TopicService } from '../topics/topic-service.js';
import { ZERO_UUID } from './protocol/schema.js';

export const NODE_ID = 0;

export interface Advertised {
  host: string;
  port: number;
}

export class KafkaCluster {
  private idsByName = new Map<string, string>();
  private namesById: Map<string, string> | null = null;

  constructor(
    readonly clusterId: string,
    private readonly topics: TopicService,
    /** Set once the listener is bound (the port may be chosen by the OS). */
    public advertised: Advertised = { host: '127.0.0.1', port: 9092 },
  ) {
    topics.onChange(() => {
      this.idsByName = new Map();
      this.namesById = null;
    });
  }

  brokers(): Array<{ nodeId: number; host: string; port: number; rack: null }> {
    return [{ nodeId: NODE_ID, host: this.advertised.host, port: this.advertised.port, rack: null }];
  }

  /** The topic's id (32 hex digits); the zero id when the topic does not exist. */
  topicId(name: string): string {
    let id = this.idsByName.get(name);
    if (id) return id;
    try {
      const createdAtMs = this.topics.createdAtMs(name);
      id = createHash('sha256').update(`${this.clusterId}\0${name}\0${createdAtMs}`).digest('hex').slice(0, 32);
    } catch {
      return ZERO_UUID;
    }
    this.idsByName.set(name, id);
    return id;
  }

  topicName(id: string): string | undefined {
    if (!this.namesById) {
      this.namesById = new Map(this.topics.names().map((name) => [this.topicId(name), name]));
    }
    return this.namesById.get(id);
  }
}
