/**
 * Temporary topics (reply topics of request/reply, like NATS inboxes or RabbitMQ's exclusive
 * queues): created with `temporary: true`, deleted once idle for `idleMs`.
 *
 * Idle means no use for idleMs, where a use is a fetch, an offsets lookup, a produce or the start
 * of a live subscription on the topic, and a live subscriber that *names* the topic (per-topic
 * tail or `?topic=`) counts as a use for as long as it is connected (its idle clock starts when it
 * leaves). Pattern subscribers with wildcards see temporary topics but do not keep them alive.
 *
 * The idle clock is kept in memory: after a restart every temporary topic starts a fresh idleMs,
 * so a requester reconnecting after the restart finds its reply topic still there.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { TemporaryTopicStore } from '../metadata/temporary-topic-store.js';

export class TemporaryTopics {
  private readonly idleMsByTopic = new Map<string, number>();
  private readonly lastUsedMs = new Map<string, number>();

  constructor(
    private readonly store: TemporaryTopicStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Start-up: keeps rows of existing topics (their idle clocks start now), drops orphans. */
  load(existing: string[]): void {
    const names = new Set(existing);
    for (const { name, idleMs } of this.store.all()) {
      if (!names.has(name)) {
        this.store.delete(name);
        continue;
      }
      this.idleMsByTopic.set(name, idleMs);
      this.lastUsedMs.set(name, this.now());
    }
  }

  add(name: string, idleMs: number): void {
    this.store.add(name, idleMs);
    this.idleMsByTopic.set(name, idleMs);
    this.lastUsedMs.set(name, this.now());
  }

  remove(name: string): void {
    if (!this.idleMsByTopic.delete(name)) return;
    this.lastUsedMs.delete(name);
    this.store.delete(name);
  }

  /** Notes a use; free for topics that are not temporary (one map lookup). */
  touch(name: string): void {
    if (this.lastUsedMs.has(name)) this.lastUsedMs.set(name, this.now());
  }

  idleMsOf(name: string): number | null {
    return this.idleMsByTopic.get(name) ?? null;
  }

  /** Temporary topics idle for their idleMs, leaving out those `inUse` says are in use now. */
  idle(inUse: (name: string) => boolean): string[] {
    const now = this.now();
    const idle: string[] = [];
    for (const [name, idleMs] of this.idleMsByTopic) {
      if (inUse(name)) this.lastUsedMs.set(name, now);
      else if (now - (this.lastUsedMs.get(name) ?? now) >= idleMs) idle.push(name);
    }
    return idle;
  }
}

/**
 * Deletes idle temporary topics every intervalMs. Answers a stop function that resolves once a
 * pass in progress has finished (a deletion must not race the broker's close).
 */
export function sweepTemporaryTopics(
  temporary: TemporaryTopics,
  deps: { inUse: (name: string) => boolean; delete: (name: string) => Promise<void>; log: FastifyBaseLogger },
  intervalMs: number,
): () => Promise<void> {
  let pass: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (pass) return;
    const deletions = temporary.idle(deps.inUse).map((name) =>
      deps.delete(name).then(
        () => deps.log.info({ topic: name }, 'deleted an idle temporary topic'),
        (error: unknown) => deps.log.warn({ err: error, topic: name }, 'could not delete an idle temporary topic'),
      ),
    );
    if (deletions.length > 0) pass = Promise.all(deletions).finally(() => (pass = null));
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await pass;
  };
}
