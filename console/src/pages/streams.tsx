/**
 * Event streams (docs/event-sourcing.md) of a topic created with streamIndex: look a stream up by
 * id, or list the ids by prefix; see its version, event count and first/last offset; page through
 * its events oldest or newest first (version, type, id, time, data pretty-printed, metadata); and
 * follow it live over its SSE route. Everything is read from /v1/topics/:topic/streams/...
 */
import { useState } from 'preact/hooks';
import { api, seg, type StreamEvent, type StreamInfo, type StreamPage, type TopicDescription } from '../api.js';
import { Card, ErrorNote, Loading, PageHeader } from '../components.js';
import { count, duration, showValue, time } from '../format.js';
import { href, usePoll, type Route } from '../hooks.js';
import { KEPT_EVENTS, useStreamFollow } from './stream-follow.js';

const PAGE_EVENTS = 20;
const LISTED_STREAMS = 100;

type Direction = 'forward' | 'backward';

interface Place {
  topic: string;
  stream?: string;
  prefix?: string;
  /** A version; absent: the start (forward) or the end (backward). */
  from?: number;
  direction?: Direction;
}

function go(place: Place): void {
  location.hash = href(['streams'], { ...place, direction: place.direction === 'backward' ? 'backward' : undefined });
}

const streamPath = (topic: string, stream: string) => `/v1/topics/${seg(topic)}/streams/${seg(stream)}`;

function EventItem({ event }: { event: StreamEvent }) {
  // Events written by the stream API carry JSON; others (a Kafka producer's) may be text or bytes.
  const data = showValue({ value: event.data, valueBase64: event.dataBase64, headers: {} });
  return (
    <li class="record" aria-label={`Event version ${event.version}`}>
      <div class="record-meta">
        <span class="offset">v{event.version}</span>
        <strong>{event.type ?? '(no type)'}</strong>
        <time dateTime={new Date(event.timestamp).toISOString()}>{time(event.timestamp)}</time>
        <span class="muted small">offset {event.offset}</span>
        <span class="muted small">id <code>{event.id ?? '—'}</code></span>
      </div>
      <pre class={`value value-${data.kind}`} aria-label="Event data">{data.text}</pre>
      {event.metadata !== undefined ? (
        <details>
          <summary class="small">Metadata</summary>
          <pre class="value value-json" aria-label="Metadata">{JSON.stringify(event.metadata, null, 2)}</pre>
        </details>
      ) : null}
    </li>
  );
}

/** Where the page before this one starts: PAGE_EVENTS versions back in the reading order, or null at the first page. */
function previousFrom(from: number | undefined, direction: Direction, version: number): number | 'first' | null {
  if (direction === 'forward') return from === undefined || from <= 0 ? null : from - PAGE_EVENTS <= 0 ? 'first' : from - PAGE_EVENTS;
  if (from === undefined || from >= version) return null;
  return from + PAGE_EVENTS >= version ? 'first' : from + PAGE_EVENTS;
}

function EventPages({ place, version }: { place: Place & { stream: string }; version: number }) {
  const direction = place.direction ?? 'forward';
  const query = `from=${place.from ?? (direction === 'forward' ? 'start' : 'end')}&direction=${direction}&limit=${PAGE_EVENTS}`;
  const { data, error } = usePoll((signal) => api<StreamPage>(`${streamPath(place.topic, place.stream)}/events?${query}`, { signal }), 0, [place.topic, place.stream, query]);
  if (!data) return error ? <ErrorNote error={error} /> : <Loading what="events" />;
  const previous = previousFrom(place.from, direction, version);
  const shown = data.events.length > 0 ? `versions ${data.events[0]!.version}–${data.events.at(-1)!.version}` : 'no events here';
  return (
    <section aria-labelledby="events-title">
      <h2 id="events-title">Events</h2>
      <div class="form-row">
        <label>
          Order
          <select name="direction" value={direction} onChange={(event) => go({ ...place, from: undefined, direction: event.currentTarget.value as Direction })}>
            <option value="forward">Oldest first</option>
            <option value="backward">Newest first</option>
          </select>
        </label>
      </div>
      <nav class="pager" aria-label="Event pages">
        <button type="button" disabled={previous === null} onClick={() => go({ ...place, from: previous === 'first' || previous === null ? undefined : previous })}>← Previous</button>
        <span class="muted">{shown} · last version {data.version}</span>
        <button type="button" disabled={data.nextVersion === null} onClick={() => go({ ...place, from: data.nextVersion ?? undefined })}>Next →</button>
      </nav>
      <ol class="records">{data.events.map((event) => <EventItem key={event.version} event={event} />)}</ol>
    </section>
  );
}

function LiveEvents({ topic, stream, from }: { topic: string; stream: string; from: number }) {
  const follow = useStreamFollow(topic, stream, from);
  return (
    <section aria-labelledby="live-events-title">
      <h2 id="live-events-title">Live</h2>
      <p class="muted" role="status">
        <span class={`dot dot-${follow.state}`} aria-hidden="true" /> {follow.state === 'open' ? 'Following' : follow.state} from version {from} · {count(follow.received)} arrived · newest {KEPT_EVENTS} shown, newest first
      </p>
      <ol class="records" aria-label="Live events">{follow.events.map((event) => <EventItem key={event.version} event={event} />)}</ol>
    </section>
  );
}

/** A soft delete and the metadata that hides events (docs/event-sourcing.md#metadata-and-soft-deletes). */
function StreamState({ info }: { info: StreamInfo }) {
  const { maxCount, maxAgeMs, truncateBefore } = info.metadata;
  const hiding = [
    maxCount !== null ? `all but the last ${count(maxCount)}` : null,
    maxAgeMs !== null ? `older than ${duration(maxAgeMs)}` : null,
    truncateBefore !== null ? `below version ${truncateBefore}` : null,
  ].filter((part) => part !== null);
  return (
    <>
      {info.deleted ? <p class="muted" role="note">Soft-deleted: it reads empty until it is written again (from version {info.version + 1}).</p> : null}
      {hiding.length > 0 ? <p class="muted" role="note">Its metadata hides events {hiding.join(', ')}: reads, counts and the live feed skip them; versions are not renumbered.</p> : null}
    </>
  );
}

function StreamView({ place }: { place: Place & { stream: string } }) {
  const { data: info, error } = usePoll((signal) => api<StreamInfo>(streamPath(place.topic, place.stream), { signal }), 3000, [place.topic, place.stream]);
  /** The version following starts from, fixed when Follow is pressed (null: not following). */
  const [followFrom, setFollowFrom] = useState<number | null>(null);
  if (!info) return error ? <ErrorNote error={error} /> : <Loading what="the stream" />;
  return (
    <>
      <section aria-label="Stream summary" class="cards">
        <Card label="Stream" value={<code>{info.stream}</code>} detail={`partition ${info.partition}`} />
        <Card label="Version" value={count(info.version)} detail={info.version < 0 ? 'no events yet' : undefined} />
        <Card label="Events" value={count(info.eventCount)} />
        <Card label="First offset" value={info.firstOffset ?? '—'} />
        <Card label="Last offset" value={info.lastOffset ?? '—'} />
      </section>
      <StreamState info={info} />
      <div class="form-row">
        <button type="button" aria-pressed={followFrom !== null} onClick={() => setFollowFrom(followFrom === null ? info.version + 1 : null)}>
          {followFrom === null ? 'Follow live' : 'Stop following'}
        </button>
      </div>
      {followFrom !== null ? <LiveEvents topic={place.topic} stream={place.stream} from={followFrom} /> : null}
      <EventPages place={place} version={info.version} />
    </>
  );
}

function StreamList({ topic, prefix }: { topic: string; prefix: string }) {
  const [typed, setTyped] = useState(prefix);
  const { data, error } = usePoll(
    (signal) => api<{ streams: string[]; more: boolean }>(`/v1/topics/${seg(topic)}/streams?prefix=${encodeURIComponent(prefix)}&limit=${LISTED_STREAMS}`, { signal }),
    0,
    [topic, prefix],
  );
  return (
    <section aria-labelledby="stream-list-title">
      <h2 id="stream-list-title">Streams</h2>
      <form class="inline-form" onSubmit={(event) => { event.preventDefault(); go({ topic, prefix: typed }); }}>
        <label>
          Id prefix
          <input name="prefix" value={typed} onInput={(event) => setTyped(event.currentTarget.value)} placeholder="order-" />
        </label>
        <button type="submit">List</button>
      </form>
      <ErrorNote error={error} />
      {data ? (
        <>
          {data.streams.length === 0 ? <p class="muted">No stream ids start with “{prefix}”.</p> : null}
          <ul class="stream-ids" aria-label="Stream ids">
            {data.streams.map((id) => <li key={id}><a href={href(['streams'], { topic, stream: id })}>{id}</a></li>)}
          </ul>
          {data.more ? <p class="muted small">The first {LISTED_STREAMS} shown: a longer prefix narrows the list.</p> : null}
        </>
      ) : null}
    </section>
  );
}

function LookupForm({ topics, place }: { topics: string[]; place: Place }) {
  const [topic, setTopic] = useState(place.topic);
  const [stream, setStream] = useState(place.stream ?? '');
  return (
    <form class="inline-form" aria-label="Look up a stream" onSubmit={(event) => { event.preventDefault(); go({ topic, stream }); }}>
      <label>
        Topic
        <select name="topic" required value={topic} onChange={(event) => { setTopic(event.currentTarget.value); go({ topic: event.currentTarget.value }); }}>
          <option value="" disabled>Choose a topic</option>
          {topics.map((name) => <option key={name}>{name}</option>)}
        </select>
      </label>
      <label>
        Stream id
        <input name="stream" required value={stream} onInput={(event) => setStream(event.currentTarget.value)} placeholder="order-42" />
      </label>
      <button type="submit" disabled={!topic}>Look up</button>
    </form>
  );
}

function placeOf(route: Route): Place {
  const from = Number(route.query.get('from') ?? '');
  return {
    topic: route.query.get('topic') ?? '',
    stream: route.query.get('stream') || undefined,
    prefix: route.query.get('prefix') ?? undefined,
    from: route.query.get('from') !== null && Number.isSafeInteger(from) && from >= 0 ? from : undefined,
    direction: route.query.get('direction') === 'backward' ? 'backward' : 'forward',
  };
}

export function Streams({ route }: { route: Route }) {
  const place = placeOf(route);
  const { topic, stream } = place;
  const topics = usePoll((signal) => api<{ topics: Array<{ name: string }> }>('/v1/topics', { signal }), 0, []);
  // The stream routes answer 409 on a topic without streamIndex: ask the topic's config first.
  const described = usePoll((signal) => (topic ? api<TopicDescription>(`/v1/topics/${seg(topic)}`, { signal }) : Promise.resolve(undefined)), 0, [topic]);
  const streamTopic = described.data?.config.streamIndex === true;
  return (
    <>
      <PageHeader title="Event streams" />
      <ErrorNote error={topics.error ?? described.error} />
      {topics.data ? <LookupForm key={`${topic}/${stream ?? ''}`} topics={topics.data.topics.map((entry) => entry.name)} place={place} /> : <Loading what="topics" />}
      {!topic ? <p class="muted">Choose a topic created with <code>streamIndex: true</code> (see docs/event-sourcing.md), then a stream id.</p> : null}
      {described.data && !streamTopic ? (
        <p class="muted" role="note">Topic <code>{topic}</code> keeps no stream index: streams live on topics created with <code>{'"config": {"streamIndex": true}'}</code>.</p>
      ) : null}
      {streamTopic && stream ? <StreamView key={`${topic}/${stream}`} place={{ ...place, stream }} /> : null}
      {streamTopic ? <StreamList key={`${topic}/${place.prefix ?? ''}`} topic={topic} prefix={place.prefix ?? ''} /> : null}
    </>
  );
}
