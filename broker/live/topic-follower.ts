/**
 * The topics of a live subscription that follows a pattern (or a list of names): the partitions of
 * every matching topic, including topics created after it subscribed. TopicService.onChange marks
 * the set dirty and wakes the tail at once, so a new topic's first records are not held back
 * until the next heartbeat; a topic created later is read from its log start (all its records are
 * newer than the subscription). Deleted topics' sources are dropped (their logs are closed).
 */
import type { PartitionLog } from '../../storage/index.js';
import type { TopicService } from '../topics/topic-service.js';
import type { LiveSource, SourceFollower } from './live-tail.js';

export class TopicFollower implements SourceFollower {
  private dirty = false;
  private wake: (() => void) | null = null;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly topics: TopicService,
    private readonly matches: (topic: string) => boolean,
  ) {
    this.unsubscribe = topics.onChange((_event, topic) => {
      if (!this.matches(topic)) return;
      this.dirty = true;
      this.wake?.();
    });
  }

  /** The partitions of the topics that match now. */
  logs(): PartitionLog[] {
    return this.topics.names().filter(this.matches).flatMap((name) => this.logsOf(name));
  }

  refresh(sources: LiveSource[]): LiveSource[] | null {
    if (!this.dirty) return null;
    this.dirty = false;
    const kept = sources.filter((source) => !source.log.isClosed);
    sources.splice(0, sources.length, ...kept);
    const known = new Set(kept.map((source) => source.log));
    const added = this.logs()
      .filter((log) => !known.has(log))
      .map((log) => ({ log, position: log.logStartOffset }));
    sources.push(...added);
    return added;
  }

  changed(signal: AbortSignal): Promise<boolean> {
    if (this.dirty || signal.aborted) return Promise.resolve(this.dirty);
    return new Promise((resolve) => {
      const done = () => {
        this.wake = null;
        signal.removeEventListener('abort', done);
        resolve(this.dirty);
      };
      this.wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  dispose(): void {
    this.unsubscribe();
    this.wake?.();
  }

  private logsOf(name: string): PartitionLog[] {
    try {
      return this.topics.partitions(name);
    } catch {
      return []; // deleted between the listing and now
    }
  }
}
