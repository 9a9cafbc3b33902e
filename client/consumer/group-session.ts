/**
 * A consumer's membership of a group: join, heartbeat (reporting revoked partitions), leave, and
 * commits fenced by generation. The broker decides assignments (cooperative and sticky: a
 * partition in `revoke` stays ours until we report it revoked, after committing).
 */
import type { HttpClient } from '../http.js';
import { urlPath } from '../http.js';
import type { CommittedOffset, TopicPartition } from '../types.js';

export interface MembershipView {
  generation: number;
  assignments: TopicPartition[];
  revoke: TopicPartition[];
  rebalancing: boolean;
  resetEpoch: number;
  /** Subscribed topics that do not exist (yet); older brokers leave it out. */
  missingTopics?: string[];
}

export interface JoinOptions {
  topics?: string[];
  pattern?: string;
  sessionTimeoutMs: number;
  instanceId?: string;
  clientId?: string;
  assignor?: 'sticky' | 'range' | 'roundrobin';
  offsetReset: 'earliest' | 'latest';
}

export class GroupSession {
  memberId: string | null = null;
  generation = 0;
  /** Bumped by the broker when an admin resets offsets; the consumer sets it once it re-read them. */
  resetEpoch = 0;

  /** Missing topics already reported: each is reported once per consumer. */
  private readonly reportedMissing = new Set<string>();

  constructor(
    private readonly http: HttpClient,
    readonly group: string,
    /** Told once per topic that the broker says is missing (non-fatal: it may be created later). */
    private readonly onMissingTopic: (topic: string) => void = () => undefined,
  ) {}

  private noteMissing(answer: MembershipView): void {
    for (const topic of answer.missingTopics ?? []) {
      if (this.reportedMissing.has(topic)) continue;
      this.reportedMissing.add(topic);
      this.onMissingTopic(topic);
    }
  }

  private get base(): string {
    return `/v1/groups/${urlPath(this.group)}`;
  }

  async join(options: JoinOptions): Promise<MembershipView> {
    const answer = await this.http.json<MembershipView & { memberId: string }>({ method: 'POST', path: `${this.base}/members`, body: options }, `join group ${this.group}`);
    this.memberId = answer.memberId;
    this.generation = answer.generation;
    this.noteMissing(answer);
    return answer;
  }

  async heartbeat(revoked: TopicPartition[]): Promise<MembershipView> {
    const answer = await this.http.json<MembershipView>(
      { method: 'POST', path: `${this.base}/members/${urlPath(this.requireMember())}/heartbeat`, body: { revoked } },
      `heartbeat in group ${this.group}`,
    );
    this.generation = answer.generation;
    this.noteMissing(answer);
    return answer;
  }

  async leave(): Promise<void> {
    const memberId = this.memberId;
    this.memberId = null;
    if (memberId) await this.http.json({ method: 'DELETE', path: `${this.base}/members/${urlPath(memberId)}` }, `leave group ${this.group}`);
  }

  /** Commits, fenced by generation and by the reset epoch last seen (an admin reset is never undone). */
  async commit(offsets: Array<TopicPartition & { offset: number; metadata?: string | null }>): Promise<void> {
    if (offsets.length === 0) return;
    await this.http.json(
      { method: 'POST', path: `${this.base}/offsets`, body: { ...(this.memberId ? { memberId: this.memberId, generation: this.generation, resetEpoch: this.resetEpoch } : {}), offsets } },
      `commit offsets of group ${this.group}`,
    );
  }

  async committed(): Promise<CommittedOffset[]> {
    return (await this.http.json<{ offsets: CommittedOffset[] }>({ method: 'GET', path: `${this.base}/offsets` }, `offsets of group ${this.group}`)).offsets;
  }

  private requireMember(): string {
    if (!this.memberId) throw new Error('not a member: join first');
    return this.memberId;
  }
}
