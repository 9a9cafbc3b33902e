/**
 * Who receives a topic's records as they arrive: live (SSE) subscribers following it, and consumer
 * groups with a live member subscribed to it (by name or pattern). Redis answers PUBLISH with its
 * receiver count and PUBSUB NUMSUB with the same per channel; Spool puts both numbers in the produce
 * answer and in GET /v1/live/topics.
 *
 * A group member counts while its session has not timed out (read without expiring anyone: the
 * coordinator's sweep does that), whether or not it owns a partition of the topic right now.
 */
import type { GroupCoordinator } from '../groups/coordinator.js';
import type { Subscription } from '../groups/group-state.js';
import { compilePattern } from '../groups/topic-pattern.js';
import type { LiveRegistry } from './live-registry.js';

export interface SubscriberCount {
  live: number;
  groups: number;
}

// Compiled once per subscription, not once per produce.
const matchers = new WeakMap<Subscription, (topic: string) => boolean>();

function subscribes(subscription: Subscription, topic: string): boolean {
  if (subscription.topics?.includes(topic)) return true;
  if (subscription.pattern === undefined) return false;
  let matches = matchers.get(subscription);
  if (!matches) matchers.set(subscription, (matches = compilePattern(subscription.pattern)));
  return matches(topic);
}

export class SubscriberCounts {
  constructor(
    private readonly registry: LiveRegistry,
    private readonly coordinator: GroupCoordinator,
    private readonly now: () => number = Date.now,
  ) {}

  of(topic: string): SubscriberCount {
    return { live: this.registry.subscribers(topic), groups: this.groups(topic) };
  }

  private groups(topic: string): number {
    const now = this.now();
    let count = 0;
    for (const name of this.coordinator.groupNames()) {
      const members = this.coordinator.group(name)?.members.values() ?? [];
      for (const member of members) {
        if (now - member.lastSeenMs <= member.sessionTimeoutMs && subscribes(member.subscription, topic)) {
          count++;
          break;
        }
      }
    }
    return count;
  }
}
