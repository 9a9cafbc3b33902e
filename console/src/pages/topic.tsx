/** One topic: its partitions (log start, high watermark, size, segments) and its config, editable. */
import { useState } from 'preact/hooks';
import { api, seg, type TopicDescription } from '../api.js';
import { ErrorNote, Loading, PageHeader, Status } from '../components.js';
import { bytes, count } from '../format.js';
import { href, usePoll } from '../hooks.js';

/** Config keys whose values are text; every other key is a number. */
const TEXT_KEYS = new Set(['flush', 'cleanupPolicy']);

function ConfigForm({ topic, onSaved }: { topic: TopicDescription; onSaved: (description: TopicDescription) => void }) {
  const [values, setValues] = useState<Record<string, string>>(() => Object.fromEntries(Object.entries(topic.config).map(([key, value]) => [key, String(value)])));
  const [error, setError] = useState<Error | undefined>();
  const changed = Object.entries(values).filter(([key, value]) => String(topic.config[key]) !== value);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    try {
      const body = Object.fromEntries(changed.map(([key, value]) => [key, TEXT_KEYS.has(key) ? value : Number(value)]));
      onSaved(await api<TopicDescription>(`/v1/topics/${seg(topic.name)}/config`, { method: 'PATCH', body }));
    } catch (caught) {
      setError(caught as Error);
    }
  };
  return (
    <form onSubmit={submit} aria-labelledby="config-title" class="config-form">
      <h2 id="config-title">Config</h2>
      <div class="config-grid">
        {Object.keys(topic.config).map((key) => (
          <label key={key}>
            {key}
            {key === 'cleanupPolicy' ? (
              <select value={values[key]} onChange={(event) => setValues({ ...values, [key]: event.currentTarget.value })}>
                {['delete', 'compact', 'compact,delete'].map((policy) => <option key={policy}>{policy}</option>)}
              </select>
            ) : (
              <input name={key} value={values[key]} inputMode={TEXT_KEYS.has(key) ? 'text' : 'numeric'} onInput={(event) => setValues({ ...values, [key]: event.currentTarget.value })} />
            )}
          </label>
        ))}
      </div>
      <button type="submit" disabled={changed.length === 0}>Save {changed.length > 0 ? `${changed.length} change${changed.length > 1 ? 's' : ''}` : 'config'}</button>
      <ErrorNote error={error} />
    </form>
  );
}

export function Topic({ name }: { name: string }) {
  const { data, error, reload } = usePoll((signal) => api<TopicDescription>(`/v1/topics/${seg(name)}`, { signal }), 3000, [name]);
  const [status, setStatus] = useState<string | null>(null);
  if (!data) return error ? <ErrorNote error={error} /> : <Loading what={`topic ${name}`} />;
  return (
    <>
      <PageHeader title={`Topic ${name}`}>
        <a class="button" href={href(['messages'], { topic: name })}>Browse messages</a>
        <a class="button" href={href(['live'], { topic: name })}>Live tail</a>
      </PageHeader>
      <p class="muted">Created {data.createdAt.slice(0, 19).replace('T', ' ')}{data.temporary ? ' · temporary' : ''}</p>
      <ErrorNote error={error} />
      <div class="table-scroll">
        <table aria-label="Partitions">
          <thead>
            <tr><th scope="col" class="num">Partition</th><th scope="col" class="num">Log start</th><th scope="col" class="num">High watermark</th><th scope="col" class="num">Size</th><th scope="col" class="num">Segments</th><th scope="col"><span class="sr-only">Actions</span></th></tr>
          </thead>
          <tbody>
            {data.partitionDetails.map((partition) => (
              <tr key={partition.partition}>
                <td class="num">{partition.partition}</td>
                <td class="num">{count(partition.logStartOffset)}</td>
                <td class="num">{count(partition.highWatermark)}</td>
                <td class="num">{bytes(partition.bytes)}</td>
                <td class="num">{partition.segments}</td>
                <td><a href={href(['messages'], { topic: name, partition: partition.partition, offset: partition.logStartOffset })}>Browse</a></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ConfigForm
        key={JSON.stringify(data.config)}
        topic={data}
        onSaved={() => {
          setStatus('Config saved');
          reload();
        }}
      />
      <Status message={status} />
    </>
  );
}
