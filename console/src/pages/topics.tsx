/** Topics: the list with sizes and rates, creating one, and deleting one (after typing its name). */
import { useState } from 'preact/hooks';
import { api, seg, type Stats, type TopicDescription } from '../api.js';
import { ConfirmDialog, ErrorNote, Loading, PageHeader, Status } from '../components.js';
import { bytes, duration, megabytesPerSec, rate } from '../format.js';
import { href, usePoll } from '../hooks.js';

function CreateTopic({ onCreated }: { onCreated: (name: string) => void }) {
  const [name, setName] = useState('');
  const [partitions, setPartitions] = useState('1');
  const [retentionHours, setRetentionHours] = useState('');
  const [error, setError] = useState<Error | undefined>();
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    try {
      const config = retentionHours === '' ? undefined : { retentionMs: Number(retentionHours) === -1 ? -1 : Math.round(Number(retentionHours) * 3_600_000) };
      await api<TopicDescription>('/v1/topics', { method: 'POST', body: { name, partitions: Number(partitions), ...(config ? { config } : {}) } });
      onCreated(name);
      setName('');
    } catch (caught) {
      setError(caught as Error);
    }
  };
  return (
    <form class="inline-form" onSubmit={submit} aria-label="Create a topic">
      <label>
        Name
        <input name="name" required pattern="[A-Za-z0-9._\-]{1,249}" value={name} onInput={(event) => setName(event.currentTarget.value)} placeholder="orders" />
      </label>
      <label>
        Partitions
        <input name="partitions" type="number" min="1" max="10000" required value={partitions} onInput={(event) => setPartitions(event.currentTarget.value)} />
      </label>
      <label>
        Retention (hours, -1 forever)
        <input name="retention" type="number" min="-1" step="any" value={retentionHours} onInput={(event) => setRetentionHours(event.currentTarget.value)} placeholder="168" />
      </label>
      <button type="submit">Create topic</button>
      <ErrorNote error={error} />
    </form>
  );
}

export function Topics() {
  const { data, error, reload } = usePoll((signal) => api<Stats>('/v1/stats?history=0', { signal }), 3000, []);
  const [deleting, setDeleting] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [actionError, setActionError] = useState<Error | undefined>();
  const remove = async (name: string) => {
    setDeleting(null);
    try {
      await api(`/v1/topics/${seg(name)}`, { method: 'DELETE' });
      setStatus(`Deleted topic ${name}`);
      reload();
    } catch (caught) {
      setActionError(caught as Error);
    }
  };
  return (
    <>
      <PageHeader title="Topics" />
      <CreateTopic
        onCreated={(name) => {
          setStatus(`Created topic ${name}`);
          reload();
        }}
      />
      <Status message={status} />
      <ErrorNote error={actionError ?? error} />
      {!data ? (
        <Loading what="topics" />
      ) : data.topics.length === 0 ? (
        <p class="muted">No topics yet: create one above.</p>
      ) : (
        <div class="table-scroll">
          <table aria-label="Topics">
            <thead>
              <tr>
                <th scope="col">Topic</th><th scope="col" class="num">Partitions</th><th scope="col" class="num">Size</th>
                <th scope="col" class="num">Produce</th><th scope="col" class="num">Fetch</th><th scope="col">Retention</th><th scope="col">Cleanup</th><th scope="col"><span class="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {data.topics.map((topic) => (
                <tr key={topic.name}>
                  <td><a href={href(['topics', topic.name])}>{topic.name}</a></td>
                  <td class="num">{topic.partitions}</td>
                  <td class="num">{bytes(topic.bytes)}</td>
                  <td class="num">{rate(topic.recordsInPerSec)}<div class="muted small">{megabytesPerSec(topic.bytesInPerSec)}</div></td>
                  <td class="num">{rate(topic.recordsOutPerSec)}<div class="muted small">{megabytesPerSec(topic.bytesOutPerSec)}</div></td>
                  <td>{duration(topic.retentionMs)}{topic.retentionBytes >= 0 ? `, ${bytes(topic.retentionBytes)}` : ''}</td>
                  <td>{topic.cleanupPolicy}</td>
                  <td>
                    <div class="row-actions">
                      <a href={href(['messages'], { topic: topic.name })}>Browse</a>
                      <button type="button" class="danger small" aria-label={`Delete topic ${topic.name}`} onClick={() => setDeleting(topic.name)}>Delete</button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {deleting ? (
        <ConfirmDialog
          title={`Delete topic ${deleting}?`}
          body={<p>Every record of every partition is deleted, and cannot be brought back.</p>}
          confirmText={deleting}
          action="Delete topic"
          onConfirm={() => void remove(deleting)}
          onCancel={() => setDeleting(null)}
        />
      ) : null}
    </>
  );
}
