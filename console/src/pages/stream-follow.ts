/**
 * Live follow of one event stream over its Server-Sent Events route
 * (GET /v1/topics/:topic/streams/:stream/live?from=<version>): the broker sends the stream's events
 * from that version, then each new one as it is acknowledged; the SSE id is the version, so the
 * browser's own reconnect (Last-Event-ID) resumes after the last event it got.
 *
 * As in the live tail, an arrival only lands in a ring of the newest KEPT_EVENTS (event-ring.ts);
 * the list is parsed and drawn at most DRAWS_PER_SECOND times a second, so a busy stream cannot
 * freeze the page.
 */
import { useEffect, useState } from 'preact/hooks';
import { seg, type StreamEvent } from '../api.js';
import { EventRing } from '../event-ring.js';

export const KEPT_EVENTS = 50;
const DRAWS_PER_SECOND = 4;

export type FollowState = 'off' | 'connecting' | 'open' | 'retrying';

export interface StreamFollow {
  /** The newest arrivals, newest first. */
  events: StreamEvent[];
  received: number;
  state: FollowState;
}

/** Follows `stream` from version `from` while `from` is not null (null: not following). */
export function useStreamFollow(topic: string, stream: string, from: number | null): StreamFollow {
  const [shown, setShown] = useState<{ events: StreamEvent[]; received: number }>({ events: [], received: 0 });
  const [state, setState] = useState<FollowState>('off');

  useEffect(() => {
    if (from === null) return;
    const ring = new EventRing<StreamEvent>(KEPT_EVENTS);
    setShown({ events: [], received: 0 });
    setState('connecting');
    const source = new EventSource(`/v1/topics/${seg(topic)}/streams/${seg(stream)}/live?from=${from}`);
    source.onopen = () => setState('open');
    source.onerror = () => setState('retrying');
    source.addEventListener('record', (event) => ring.push((event as MessageEvent<string>).data));
    let drawn = 0;
    const draw = setInterval(() => {
      if (ring.received === drawn) return;
      drawn = ring.received;
      setShown({ events: ring.newest(), received: drawn });
    }, 1000 / DRAWS_PER_SECOND);
    return () => {
      source.close();
      clearInterval(draw);
      setState('off');
    };
  }, [topic, stream, from]);
  return { ...shown, state };
}
