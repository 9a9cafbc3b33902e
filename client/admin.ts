/** Topics and groups: the broker's management routes, typed. */
import { type HttpClient, urlPath as path } from './http.js';
import type {
  CommittedOffset, GroupDescription, GroupSummary, ResetResult, ResetTarget, TopicCleaning, TopicConfig, TopicDescription, TopicSummary,
} from './types.js';

export class Admin {
  constructor(private readonly http: HttpClient) {}

  /** `temporary: true` makes a topic the broker deletes after `idleMs` (default 60 s) without use. */
  createTopic(topic: { name: string; partitions?: number; config?: TopicConfig; temporary?: boolean; idleMs?: number }): Promise<TopicDescription> {
    return this.http.json({ method: 'POST', path: '/v1/topics', body: topic }, `create topic ${topic.name}`);
  }

  /** Creates the topic unless it exists; answers whether it was created. */
  async ensureTopic(topic: { name: string; partitions?: number; config?: TopicConfig }): Promise<boolean> {
    try {
      await this.createTopic(topic);
      return true;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'SPOOL_ERR_TOPIC_EXISTS') return false;
      // A principal allowed to write to a topic but not to create topics: fine if it exists.
      if (code === 'SPOOL_ERR_FORBIDDEN' && (await this.describeTopic(topic.name).then(() => true, () => false))) return false;
      throw error;
    }
  }

  async listTopics(): Promise<TopicSummary[]> {
    return (await this.http.json<{ topics: TopicSummary[] }>({ method: 'GET', path: '/v1/topics' })).topics;
  }

  describeTopic(name: string): Promise<TopicDescription> {
    return this.http.json({ method: 'GET', path: `/v1/topics/${path(name)}` }, `describe topic ${name}`);
  }

  async deleteTopic(name: string): Promise<void> {
    await this.http.json({ method: 'DELETE', path: `/v1/topics/${path(name)}` }, `delete topic ${name}`);
  }

  setTopicConfig(name: string, config: TopicConfig): Promise<TopicDescription> {
    return this.http.json({ method: 'PATCH', path: `/v1/topics/${path(name)}/config`, body: config }, `configure topic ${name}`);
  }

  /** Runs retention and compaction of a topic now; answers what each partition lost. */
  cleanTopic(name: string): Promise<TopicCleaning> {
    return this.http.json({ method: 'POST', path: `/v1/topics/${path(name)}/clean` }, `clean topic ${name}`);
  }

  async listGroups(): Promise<GroupSummary[]> {
    return (await this.http.json<{ groups: GroupSummary[] }>({ method: 'GET', path: '/v1/groups' })).groups;
  }

  describeGroup(group: string): Promise<GroupDescription> {
    return this.http.json({ method: 'GET', path: `/v1/groups/${path(group)}` }, `describe group ${group}`);
  }

  /** Committed offsets of a group; none for a group that never committed or joined. */
  async committedOffsets(group: string): Promise<CommittedOffset[]> {
    const groups = await this.listGroups();
    if (!groups.some((known) => known.name === group)) return [];
    return (await this.http.json<{ offsets: CommittedOffset[] }>({ method: 'GET', path: `/v1/groups/${path(group)}/offsets` }, `offsets of group ${group}`)).offsets;
  }

  resetGroup(group: string, reset: { topic: string; to: ResetTarget; partitions?: number[]; dryRun?: boolean }): Promise<ResetResult> {
    return this.http.json({ method: 'POST', path: `/v1/groups/${path(group)}/reset`, body: reset }, `reset group ${group}`);
  }

  async deleteGroup(group: string): Promise<void> {
    await this.http.json({ method: 'DELETE', path: `/v1/groups/${path(group)}` }, `delete group ${group}`);
  }

  /** The offset of the first record at or after `timestamp` (ms), or the partition's end. */
  async offsetForTimestamp(topic: string, partition: number, timestamp: number): Promise<number> {
    const answer = await this.http.json<{ offset: number }>({
      method: 'GET', path: `/v1/topics/${path(topic)}/partitions/${partition}/offsets`, query: { timestamp },
    });
    return answer.offset;
  }

  /** The earliest and latest offsets of a partition. */
  offsets(topic: string, partition: number): Promise<{ earliest: number; latest: number }> {
    return this.http.json({ method: 'GET', path: `/v1/topics/${path(topic)}/partitions/${partition}/offsets` });
  }
}
