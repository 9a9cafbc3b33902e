/**
 * Live tail of a topic or a pattern (`orders.*`) over Server-Sent Events. A busy topic can neither
 * freeze the page nor load the broker:
 *   - the stream is sampled by the broker (`maxRecordsPerSec`): when the topic runs faster, it
 *     skips to the newest records (event `skipped`, counted here) instead of sending them all;
 *   - an arriving event is only counted and kept as text in a ring of the newest KEPT_RECORDS;
 *     the list is parsed and drawn at most DRAWS_PER_SECOND times a second.
 * Pause freezes the list (arrivals are still counted); resume draws the newest.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, seg } from '../api.js';
import { ErrorNote, PageHeader } from '../components.js';
import { count, previewValue, showKey, time } from '../format.js';
import { EventRing } from '../event-ring.js';
import { href, type Route } from '../hooks.js';

const KEPT_RECORDS = 50;
const DRAWS_PER_SECOND = 4;
/** Characters of a value drawn in its cell: more than the cell shows (`.clip`, 40ch), far fewer than a whole value. */
const PREVIEW_CHARS = 60;
/** As many as the page can show (KEPT_RECORDS per draw): the rest is skipped by the broker. */
const STREAM_RECORDS_PER_SEC = KEPT_RECORDS * DRAWS_PER_SECOND;

interface LiveRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key?: string | null;
  keyBase64?: string;
  value?: unknown;
  valueBase64?: string;
  headers: Record<string, string | null>;
}

function isPattern(target: string): boolean {
  return target.includes('*') || target.includes('#');
}

async function streamUrl(target: string): Promise<string> {
  if (isPattern(target)) {
    await api(`/v1/live/topics?pattern=${encodeURIComponent(target)}`); // 400 for an invalid pattern, before opening the stream
    return `/v1/live?pattern=${encodeURIComponent(target)}&from=latest&maxRecordsPerSec=${STREAM_RECORDS_PER_SEC}`;
  }
  await api(`/v1/topics/${seg(target)}`); // 404 for an unknown topic (EventSource would retry forever)
  return `/v1/topics/${seg(target)}/live?from=latest&maxRecordsPerSec=${STREAM_RECORDS_PER_SEC}`;
}

function useTail(target: string, paused: boolean) {
  const [shown, setShown] = useState<LiveRecord[]>([]);
  const [stats, setStats] = useState({ received: 0, skipped: 0, perSecond: 0 });
  const [state, setState] = useState<'idle' | 'connecting' | 'open' | 'retrying'>('idle');
  const [error, setError] = useState<Error | undefined>();
  const pausedRef = useRef(paused);
  pausedRef.current = paused;

  useEffect(() => {
    if (!target) return;
    const ring = new EventRing<LiveRecord>(KEPT_RECORDS);
    let skipped = 0;
    setShown([]);
    setError(undefined);
    setState('connecting');
    let source: EventSource | null = null;
    let closed = false;
    streamUrl(target).then(
      (url) => {
        if (closed) return;
        source = new EventSource(url);
        source.onopen = () => setState('open');
        source.onerror = () => setState('retrying');
        source.addEventListener('record', (event) => ring.push((event as MessageEvent<string>).data));
        source.addEventListener('skipped', (event) => {
          const { from, to } = JSON.parse((event as MessageEvent<string>).data) as { from: number; to: number };
          skipped += to - from;
        });
      },
      (caught: Error) => {
        setError(caught);
        setState('idle');
      },
    );
    let countedReceived = 0;
    let countedAt = performance.now();
    /** Arrivals the list shows; behind `received` while paused, caught up at the first draw after. */
    let drawnReceived = 0;
    const draw = setInterval(() => {
      const now = performance.now();
      const total = ring.received;
      const arrived = total + skipped;
      setStats({ received: total, skipped, perSecond: ((arrived - countedReceived) * 1000) / (now - countedAt) });
      countedReceived = arrived;
      countedAt = now;
      if (!pausedRef.current && total !== drawnReceived) {
        setShown(ring.newest());
        drawnReceived = total;
      }
    }, 1000 / DRAWS_PER_SECOND);
    return () => {
      closed = true;
      source?.close();
      clearInterval(draw);
      setState('idle');
    };
  }, [target]);
  return { shown, stats, state, error };
}

export function Live({ route }: { route: Route }) {
  const target = route.query.get('topic') ?? route.query.get('pattern') ?? '';
  const [input, setInput] = useState(target);
  const [paused, setPaused] = useState(false);
  const { shown, stats, state, error } = useTail(target, paused);
  useEffect(() => setInput(target), [target]);
  return (
    <>
      <PageHeader title="Live tail" />
      <form
        class="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          setPaused(false);
          location.hash = href(['live'], isPattern(input) ? { pattern: input } : { topic: input });
        }}
      >
        <label>
          Topic or pattern
          <input name="target" required value={input} onInput={(event) => setInput(event.currentTarget.value)} placeholder="orders or orders.*" />
        </label>
        <button type="submit">Tail</button>
        <button type="button" disabled={!target} aria-pressed={paused} onClick={() => setPaused(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
      </form>
      <ErrorNote error={error} />
      {target ? (
        <p class="muted" role="status">
          <span class={`dot dot-${state}`} aria-hidden="true" /> {state === 'open' ? 'Following' : state} <code>{target}</code> · {count(stats.received)} received ·{' '}
          {count(stats.skipped)} skipped · {count(stats.perSecond)}/s{paused ? ' · paused' : ''} · newest {KEPT_RECORDS} shown, drawn {DRAWS_PER_SECOND}×/s at most
        </p>
      ) : (
        <p class="muted">Name a topic, or a pattern such as <code>orders.*</code> (<code>*</code> one word, <code>#</code> any number), to see records as they arrive.</p>
      )}
      <div class="table-scroll">
        <table aria-label="Live records" class="live-table">
          <thead>
            <tr><th scope="col">Time</th><th scope="col">Topic</th><th scope="col" class="num">Partition</th><th scope="col" class="num">Offset</th><th scope="col">Key</th><th scope="col">Value</th></tr>
          </thead>
          <tbody>
            {shown.map((record) => (
              <tr key={`${record.topic}/${record.partition}:${record.offset}`}>
                <td class="nowrap">{time(record.timestamp).slice(11)}</td>
                <td>{record.topic}</td>
                <td class="num">{record.partition}</td>
                <td class="num">{record.offset}</td>
                <td><code>{showKey(record)}</code></td>
                <td><code class="clip">{previewValue(record, PREVIEW_CHARS)}</code></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
