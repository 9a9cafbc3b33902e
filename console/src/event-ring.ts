/**
 * The newest SSE `record` events of a live view, kept as text: an arrival costs a count and a
 * push, and only what a draw shows is parsed, at the draw. Shared by the live tail and a stream's
 * live follow, so a busy source cannot freeze the page whatever it sends.
 */
export class EventRing<T> {
  private texts: string[] = [];
  /** Events that arrived since the ring was made. */
  received = 0;

  constructor(private readonly kept: number) {}

  push(text: string): void {
    this.received++;
    this.texts.push(text);
    // Trimmed in bulk, not per arrival: a splice every `kept` pushes.
    if (this.texts.length > this.kept * 2) this.texts.splice(0, this.texts.length - this.kept);
  }

  /** The newest `kept`, newest first, parsed. */
  newest(): T[] {
    return this.texts.slice(-this.kept).reverse().map((text) => JSON.parse(text) as T);
  }
}
