/**
 * Where a live subscription is, per partition: the last offset handed to the handler, or the
 * offset before the one the broker said it starts from (`follow`). Sent as Last-Event-ID on
 * reconnect, it names every partition the subscription followed, so the broker resumes each one
 * right after what was handled (see broker/live/resume.ts):
 *
 *   orders.eu/0:41,orders.eu/1:-1,orders.us/0:7
 */
const key = (topic: string, partition: number) => `${topic}/${partition}`;

export class LiveCursor {
  private readonly last = new Map<string, number>();

  get isEmpty(): boolean {
    return this.last.size === 0;
  }

  /** The broker starts sending `offset` next. */
  follow(topic: string, partition: number, offset: number): void {
    this.moveTo(topic, partition, offset - 1);
  }

  handled(topic: string, partition: number, offset: number): void {
    this.moveTo(topic, partition, offset);
  }

  /** Retention deleted records before `to`: the broker continues there. */
  overtaken(topic: string, partition: number, to: number): void {
    this.moveTo(topic, partition, to - 1);
  }

  header(): string {
    return [...this.last].map(([name, offset]) => `${name}:${offset}`).join(',');
  }

  private moveTo(topic: string, partition: number, offset: number): void {
    const name = key(topic, partition);
    this.last.set(name, Math.max(offset, this.last.get(name) ?? -1));
  }
}
