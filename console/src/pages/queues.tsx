/**
 * Work queues: depth, in flight and delivered/acked/dead-lettered rates (from the totals between
 * two polls); one queue's partitions, its dead letters with their reasons, and redrive (a dry
 * run first, then apply).
 */
import { useRef, useState } from 'preact/hooks';
import { api, seg, type FetchAnswer, type FetchedRecord, type QueueDescription, type RedriveAnswer, type TopicDescription } from '../api.js';
import { ErrorNote, Loading, PageHeader, Status } from '../components.js';
import { count, showValue, time } from '../format.js';
import { href, usePoll } from '../hooks.js';

const POLL_MS = 2000;
/** Dead letters shown per partition of the dead-letter topic, newest first. */
const LETTERS_SHOWN = 50;

type Rates = { delivered: number; acked: number; deadLettered: number };

/** Rates per queue from the difference of its totals between this poll and the previous one. */
function useQueueRates() {
  const previous = useRef(new Map<string, { at: number; totals: Rates }>());
  return usePoll(async (signal) => {
    const { queues } = await api<{ queues: QueueDescription[] }>('/v1/queues', { signal });
    const now = performance.now();
    const rates = new Map<string, Rates>();
    for (const queue of queues) {
      const key = `${queue.topic}/${queue.name}`;
      const before = previous.current.get(key);
      const seconds = before ? (now - before.at) / 1000 : 0;
      const per = (field: keyof Rates) => (before && seconds > 0 ? Math.max(0, queue.totals[field] - before.totals[field]) / seconds : 0);
      rates.set(key, { delivered: per('delivered'), acked: per('acked'), deadLettered: per('deadLettered') });
      previous.current.set(key, { at: now, totals: queue.totals });
    }
    return { queues, rates };
  }, POLL_MS, []);
}

export function Queues() {
  const { data, error } = useQueueRates();
  return (
    <>
      <PageHeader title="Queues" />
      <ErrorNote error={error} />
      {!data ? (
        <Loading what="queues" />
      ) : data.queues.length === 0 ? (
        <p class="muted">No queues yet: create one with <code>PUT /v1/topics/:topic/queues/:queue</code> or <code>spool queue create</code>.</p>
      ) : (
        <div class="table-scroll">
          <table aria-label="Queues">
            <thead>
              <tr>
                <th scope="col">Queue</th><th scope="col">Topic</th><th scope="col" class="num">Available</th><th scope="col" class="num">In flight</th><th scope="col" class="num">Dead-lettered</th>
                <th scope="col" class="num">Delivered/s</th><th scope="col" class="num">Acked/s</th><th scope="col" class="num">Dead-lettered/s</th>
              </tr>
            </thead>
            <tbody>
              {data.queues.map((queue) => {
                const rates = data.rates.get(`${queue.topic}/${queue.name}`)!;
                return (
                  <tr key={`${queue.topic}/${queue.name}`}>
                    <td><a href={href(['queues', queue.topic, queue.name])}>{queue.name}</a></td>
                    <td><a href={href(['topics', queue.topic])}>{queue.topic}</a></td>
                    <td class="num">{count(queue.available)}</td>
                    <td class="num">{count(queue.inFlight)}</td>
                    <td class="num">{count(queue.deadLettered)}</td>
                    <td class="num">{count(rates.delivered)}</td>
                    <td class="num">{count(rates.acked)}</td>
                    <td class="num">{count(rates.deadLettered)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

async function deadLetters(topic: string, signal: AbortSignal): Promise<FetchedRecord[]> {
  let described: TopicDescription;
  try {
    described = await api<TopicDescription>(`/v1/topics/${seg(topic)}`, { signal });
  } catch (error) {
    if ((error as { code?: string }).code === 'SPOOL_ERR_TOPIC_NOT_FOUND') return []; // created at the first dead letter
    throw error;
  }
  const pages = await Promise.all(
    described.partitionDetails.map(async (partition) => {
      // The newest letters: from LETTERS_SHOWN before the end (a letter is one record).
      const from = Math.max(partition.logStartOffset, partition.highWatermark - LETTERS_SHOWN);
      if (from >= partition.highWatermark) return [];
      const answer = await api<FetchAnswer>(`/v1/topics/${seg(topic)}/partitions/${partition.partition}/records?offset=${from}&maxBytes=1048576`, { signal });
      return answer.records.filter((record) => record.offset >= from);
    }),
  );
  return pages.flat().sort((a, b) => b.timestamp - a.timestamp).slice(0, LETTERS_SHOWN);
}

function Redrive({ topic, queue, onDone }: { topic: string; queue: string; onDone: () => void }) {
  const [preview, setPreview] = useState<RedriveAnswer | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<Error | undefined>();
  const send = async (dryRun: boolean) => {
    setError(undefined);
    setStatus(null);
    try {
      const answer = await api<RedriveAnswer>(`/v1/topics/${seg(topic)}/queues/${seg(queue)}/redrive`, { method: 'POST', body: { dryRun } });
      if (dryRun) setPreview(answer);
      else {
        setPreview(null);
        setStatus(`Redrove ${answer.redriven.length} dead letter(s) back to ${topic}${answer.more ? '; more remain' : ''}`);
        onDone();
      }
    } catch (caught) {
      setError(caught as Error);
    }
  };
  return (
    <section aria-labelledby="redrive-title">
      <h2 id="redrive-title">Redrive</h2>
      <p class="muted">Moves this queue's dead letters back onto {topic}, to be delivered again by this queue (each letter once).</p>
      <button type="button" onClick={() => void send(true)}>Preview redrive</button>
      {preview ? (
        <div class="preview">
          <p>{preview.redriven.length === 0 ? 'No dead letters to redrive.' : `${preview.redriven.length} dead letter(s) would move back${preview.more ? ' (more after these)' : ''}:`}</p>
          {preview.redriven.length > 0 ? (
            <>
              <ul class="compact">
                {preview.redriven.slice(0, 20).map((letter) => (
                  <li key={`${letter.deadLetterPartition}:${letter.deadLetterOffset}`}>
                    {topic}/{letter.partition} offset {letter.originalOffset}: {letter.reason ?? 'no reason'}
                  </li>
                ))}
              </ul>
              <button type="button" class="danger" onClick={() => void send(false)}>Apply redrive</button>
            </>
          ) : null}
        </div>
      ) : null}
      <Status message={status} />
      <ErrorNote error={error} />
    </section>
  );
}

export function Queue({ topic, name }: { topic: string; name: string }) {
  const queue = usePoll((signal) => api<QueueDescription>(`/v1/topics/${seg(topic)}/queues/${seg(name)}`, { signal }), POLL_MS, [topic, name]);
  const letters = usePoll((signal) => (queue.data ? deadLetters(queue.data.config.deadLetterTopic, signal) : Promise.resolve([])), POLL_MS, [queue.data?.config.deadLetterTopic]);
  if (!queue.data) return queue.error ? <ErrorNote error={queue.error} /> : <Loading what={`queue ${name}`} />;
  const { data } = queue;
  return (
    <>
      <PageHeader title={`Queue ${name} on ${topic}`} />
      <p class="muted">
        visibility {data.config.visibilityMs} ms · at most {data.config.maxDeliveries} deliveries · dead letters to{' '}
        <a href={href(['topics', data.config.deadLetterTopic])}>{data.config.deadLetterTopic}</a>
        {data.config.orderedByKey ? ' · ordered by key' : ''}
      </p>
      <div class="table-scroll">
        <table aria-label="Queue partitions">
          <thead>
            <tr><th scope="col" class="num">Partition</th><th scope="col" class="num">Acked through</th><th scope="col" class="num">High watermark</th><th scope="col" class="num">Available</th><th scope="col" class="num">In flight</th><th scope="col" class="num">Dead-lettered</th></tr>
          </thead>
          <tbody>
            {data.partitions.map((partition) => (
              <tr key={partition.partition}>
                <td class="num">{partition.partition}</td>
                <td class="num">{partition.ackedThrough}</td>
                <td class="num">{partition.highWatermark}</td>
                <td class="num">{partition.available}</td>
                <td class="num">{partition.inFlight}</td>
                <td class="num">{partition.deadLettered}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Redrive topic={topic} queue={name} onDone={() => { queue.reload(); letters.reload(); }} />
      <h2>Dead letters</h2>
      <ErrorNote error={letters.error} />
      {!letters.data ? (
        <Loading what="dead letters" />
      ) : letters.data.length === 0 ? (
        <p class="muted">No dead letters.</p>
      ) : (
        <div class="table-scroll">
          <table aria-label="Dead letters">
            <thead>
              <tr><th scope="col">Time</th><th scope="col">Reason</th><th scope="col">Queue</th><th scope="col">From</th><th scope="col" class="num">Deliveries</th><th scope="col">Value</th></tr>
            </thead>
            <tbody>
              {letters.data.map((letter) => (
                <tr key={letter.offset}>
                  <td class="nowrap">{time(letter.timestamp)}</td>
                  <td>{letter.headers['dlq-reason'] ?? '—'}</td>
                  <td>{letter.headers['dlq-queue'] ?? '—'}</td>
                  <td>{letter.headers['dlq-original-topic']}/{letter.headers['dlq-original-partition']} @ {letter.headers['dlq-original-offset']}</td>
                  <td class="num">{letter.headers['dlq-delivery-count']}</td>
                  <td><code class="clip">{showValue(letter).text.slice(0, 200)}</code></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
