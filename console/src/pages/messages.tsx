/**
 * Message browser: a page of records of one partition from an offset or a time, paged forward and
 * back, each with key, headers, timestamp and value (JSON pretty-printed, text, or hex for
 * binary); and a form to produce a record.
 */
import { useState } from 'preact/hooks';
import { api, seg, type FetchAnswer, type TopicDescription } from '../api.js';
import { ErrorNote, Loading, PageHeader, Status } from '../components.js';
import { showKey, showValue, time } from '../format.js';
import { href, usePoll, type Route } from '../hooks.js';

const PAGE_RECORDS = 20;
/** Enough bytes for a page of ordinary records; a single larger batch still comes whole. */
const PAGE_BYTES = 256 * 1024;

function go(query: Record<string, string | number | undefined>): void {
  location.hash = href(['messages'], query);
}

function RecordList({ topic, partition, offset }: { topic: string; partition: number; offset: number | null }) {
  const { data, error } = usePoll(
    (signal) => api<FetchAnswer>(`/v1/topics/${seg(topic)}/partitions/${partition}/records?offset=${offset ?? 'earliest'}&maxBytes=${PAGE_BYTES}`, { signal }),
    0,
    [topic, partition, offset],
  );
  if (!data) return error ? <ErrorNote error={error} /> : <Loading what="records" />;
  const from = offset ?? data.logStartOffset;
  const records = data.records.filter((record) => record.offset >= from).slice(0, PAGE_RECORDS);
  const next = records.length > 0 ? records.at(-1)!.offset + 1 : from;
  const previous = Math.max(data.logStartOffset, from - PAGE_RECORDS);
  return (
    <section aria-label="Records">
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={from <= data.logStartOffset} onClick={() => go({ topic, partition, offset: previous })}>← Previous</button>
        <span class="muted">
          offsets {records.length > 0 ? `${records[0]!.offset}–${records.at(-1)!.offset}` : `from ${from}`} of {data.logStartOffset}–{Math.max(data.logStartOffset, data.highWatermark - 1)}
        </span>
        <button type="button" disabled={next >= data.highWatermark} onClick={() => go({ topic, partition, offset: next })}>Next →</button>
      </nav>
      {records.length === 0 ? <p class="muted">No records here yet.</p> : null}
      <ol class="records">
        {records.map((record) => {
          const value = showValue(record);
          const headers = Object.entries(record.headers);
          return (
            <li key={record.offset} class="record" aria-label={`Record at offset ${record.offset}`}>
              <div class="record-meta">
                <span class="offset">#{record.offset}</span>
                <time dateTime={new Date(record.timestamp).toISOString()}>{time(record.timestamp)}</time>
                <span>key <code>{showKey(record)}</code></span>
                <span class="muted small">{value.kind}</span>
              </div>
              {headers.length > 0 ? (
                <ul class="headers" aria-label="Headers">
                  {headers.map(([name, headerValue]) => <li key={name}><code>{name}: {headerValue ?? 'null'}</code></li>)}
                </ul>
              ) : null}
              <pre class={`value value-${value.kind}`}>{value.text}</pre>
            </li>
          );
        })}
      </ol>
    </section>
  );
}

function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf(':');
    if (line.trim() === '') continue;
    if (at <= 0) throw new Error(`a header line is "name: value", not "${line}"`);
    headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return headers;
}

function ProduceForm({ topic, partitions }: { topic: string; partitions: number }) {
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [format, setFormat] = useState<'json' | 'text'>('json');
  const [headers, setHeaders] = useState('');
  const [partition, setPartition] = useState('');
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<Error | undefined>();
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    setStatus(null);
    try {
      const record: Record<string, unknown> = format === 'json' ? { value: JSON.parse(value) } : { valueString: value };
      if (key !== '') record.key = key;
      if (headers.trim() !== '') record.headers = parseHeaders(headers);
      if (partition !== '') record.partition = Number(partition);
      const answer = await api<{ records: Array<{ partition: number; offset: number }> }>(`/v1/topics/${seg(topic)}/records`, { method: 'POST', body: { records: [record] } });
      const written = answer.records[0]!;
      setStatus(`Produced to partition ${written.partition} at offset ${written.offset}`);
    } catch (caught) {
      setError(caught instanceof SyntaxError ? new Error(`the value is not JSON: ${caught.message}`) : (caught as Error));
    }
  };
  return (
    <form class="produce-form" onSubmit={submit} aria-labelledby="produce-title">
      <h2 id="produce-title">Produce a record</h2>
      <div class="form-row">
        <label>
          Key
          <input name="key" value={key} onInput={(event) => setKey(event.currentTarget.value)} placeholder="optional" />
        </label>
        <label>
          Partition
          <select name="partition" value={partition} onChange={(event) => setPartition(event.currentTarget.value)}>
            <option value="">by key (or spread)</option>
            {Array.from({ length: partitions }, (_, i) => <option key={i} value={String(i)}>{i}</option>)}
          </select>
        </label>
        <label>
          Value format
          <select name="format" value={format} onChange={(event) => setFormat(event.currentTarget.value as 'json' | 'text')}>
            <option value="json">JSON</option>
            <option value="text">Text</option>
          </select>
        </label>
      </div>
      <label>
        Value
        <textarea name="value" rows={4} required value={value} onInput={(event) => setValue(event.currentTarget.value)} placeholder={format === 'json' ? '{"total": 42}' : 'hello'} />
      </label>
      <label>
        Headers (one "name: value" a line)
        <textarea name="headers" rows={2} value={headers} onInput={(event) => setHeaders(event.currentTarget.value)} />
      </label>
      <button type="submit">Produce</button>
      <Status message={status} />
      <ErrorNote error={error} />
    </form>
  );
}

function SeekForm({ topic, partition }: { topic: string; partition: number }) {
  const [offset, setOffset] = useState('');
  const [at, setAt] = useState('');
  const [error, setError] = useState<Error | undefined>();
  const seekTime = async () => {
    setError(undefined);
    try {
      const timestamp = new Date(at).getTime();
      if (!Number.isFinite(timestamp)) throw new Error('pick a date and time');
      const answer = await api<{ offset: number }>(`/v1/topics/${seg(topic)}/partitions/${partition}/offsets?timestamp=${Math.max(0, timestamp)}`);
      go({ topic, partition, offset: answer.offset });
    } catch (caught) {
      setError(caught as Error);
    }
  };
  return (
    <div class="form-row">
      <form class="inline-form" onSubmit={(event) => { event.preventDefault(); go({ topic, partition, offset }); }}>
        <label>
          From offset
          <input name="offset" type="number" min="0" value={offset} onInput={(event) => setOffset(event.currentTarget.value)} />
        </label>
        <button type="submit">Go</button>
      </form>
      <form class="inline-form" onSubmit={(event) => { event.preventDefault(); void seekTime(); }}>
        <label>
          From time
          <input name="time" type="datetime-local" step="1" value={at} onInput={(event) => setAt(event.currentTarget.value)} />
        </label>
        <button type="submit">Go</button>
      </form>
      <ErrorNote error={error} />
    </div>
  );
}

export function Messages({ route }: { route: Route }) {
  const topics = usePoll((signal) => api<{ topics: Array<{ name: string; partitions: number }> }>('/v1/topics', { signal }), 0, []);
  const topic = route.query.get('topic') ?? topics.data?.topics[0]?.name ?? '';
  const partition = Number(route.query.get('partition') ?? 0);
  const offsetText = route.query.get('offset');
  const offset = offsetText === null || offsetText === '' ? null : Number(offsetText);
  const described = usePoll((signal) => (topic ? api<TopicDescription>(`/v1/topics/${seg(topic)}`, { signal }) : Promise.resolve(undefined)), 0, [topic]);
  return (
    <>
      <PageHeader title="Messages" />
      <ErrorNote error={topics.error ?? described.error} />
      <div class="form-row">
        <label>
          Topic
          <select name="topic" value={topic} onChange={(event) => go({ topic: event.currentTarget.value, partition: 0 })}>
            {(topics.data?.topics ?? []).map((entry) => <option key={entry.name}>{entry.name}</option>)}
          </select>
        </label>
        <label>
          Partition
          <select name="partition" value={String(partition)} onChange={(event) => go({ topic, partition: event.currentTarget.value })}>
            {Array.from({ length: described.data?.partitions ?? 1 }, (_, i) => <option key={i} value={String(i)}>{i}</option>)}
          </select>
        </label>
      </div>
      {topic && described.data ? (
        <>
          <SeekForm topic={topic} partition={partition} />
          <RecordList topic={topic} partition={partition} offset={offset !== null && Number.isSafeInteger(offset) && offset >= 0 ? offset : null} />
          <ProduceForm topic={topic} partitions={described.data.partitions} />
        </>
      ) : topics.data && topics.data.topics.length === 0 ? (
        <p class="muted">No topics yet: <a href={href(['topics'])}>create one</a>.</p>
      ) : null}
    </>
  );
}
