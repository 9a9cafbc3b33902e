/**
 * An SSE stream read event by event in tests (a tiny parser: the client's own is tested apart).
 * node:http without an agent, so closing it closes its socket (an aborted fetch() leaves undici
 * opening a spare connection that holds the broker's close for seconds).
 */
import { get, type IncomingMessage } from 'node:http';
import { expect } from 'vitest';

export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
}

export interface SseStream {
  status: number;
  /** The next event (comments and heartbeats skipped) for which `accept` is true; others are dropped. */
  next(accept?: (event: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  /** Record events until `count` arrived. */
  records(count: number): Promise<SseEvent[]>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const response = await new Promise<IncomingMessage>((resolve, reject) => get(url, { headers, agent: false }, resolve).once('error', reject));
  expect(response.headers['content-type']).toContain('text/event-stream');
  const chunks = response[Symbol.asyncIterator]();
  const decoder = new TextDecoder();
  let buffered = '';
  const queue: SseEvent[] = [];
  const pull = async (): Promise<void> => {
    const { value, done } = await chunks.next();
    if (done) throw new Error('the stream ended');
    buffered += decoder.decode(value as Buffer, { stream: true });
    let split;
    while ((split = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, split);
      buffered = buffered.slice(split + 2);
      const event: SseEvent = {};
      for (const line of block.split('\n')) {
        const at = line.indexOf(': ');
        if (line.startsWith(':') || at < 0) continue;
        (event as Record<string, string>)[line.slice(0, at)] = line.slice(at + 2);
      }
      if (event.event) queue.push(event);
    }
  };
  let pulling: Promise<void> | null = null;
  const pullOnce = () => (pulling ??= pull().finally(() => (pulling = null)));
  const stream: SseStream = {
    status: response.statusCode!,
    async next(accept = () => true, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        while (queue.length > 0) {
          const event = queue.shift()!;
          if (accept(event)) return event;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error('no matching event in time');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([pullOnce(), new Promise((resolve) => (timer = setTimeout(resolve, left)))]);
        clearTimeout(timer);
      }
    },
    async records(count) {
      const events: SseEvent[] = [];
      while (events.length < count) events.push(await stream.next((event) => event.event === 'record'));
      return events;
    },
    close: () => response.destroy(),
  };
  return stream;
}

export const data = (event: SseEvent): any => JSON.parse(event.data!);
