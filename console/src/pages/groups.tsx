/** Consumer groups: the list, and one group's members, lag per partition over time, and offset reset with a dry run. */
import { useMemo, useRef, useState } from 'preact/hooks';
import { api, seg, type GroupDescription, type GroupSummary, type ResetResult } from '../api.js';
import { TimeChart } from '../chart.js';
import { ErrorNote, Loading, PageHeader, Status } from '../components.js';
import { count, duration } from '../format.js';
import { href, usePoll } from '../hooks.js';

const POLL_MS = 2000;
/** Lag samples kept for the chart: 10 minutes at one per poll. */
const LAG_SAMPLES = 300;

/** Groups with their state, members and lag; the overview shows the laggiest with it too. */
export function GroupTable({ groups, label }: { groups: GroupSummary[]; label: string }) {
  return (
    <div class="table-scroll">
      <table aria-label={label}>
        <thead>
          <tr><th scope="col">Group</th><th scope="col">State</th><th scope="col" class="num">Members</th><th scope="col" class="num">Lag (records)</th></tr>
        </thead>
        <tbody>
          {groups.map((group) => (
            <tr key={group.name}>
              <td><a href={href(['groups', group.name])}>{group.name}</a></td>
              <td>{group.state}</td>
              <td class="num">{group.members}</td>
              <td class="num">{count(group.totalLag)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Groups() {
  const { data, error } = usePoll((signal) => api<{ groups: GroupSummary[] }>('/v1/groups', { signal }), POLL_MS, []);
  return (
    <>
      <PageHeader title="Consumer groups" />
      <ErrorNote error={error} />
      {!data ? (
        <Loading what="groups" />
      ) : data.groups.length === 0 ? (
        <p class="muted">No consumer groups yet: a group appears when a consumer joins or commits.</p>
      ) : (
        <GroupTable groups={data.groups} label="Consumer groups" />
      )}
    </>
  );
}

type TargetKind = 'earliest' | 'latest' | 'offset' | 'timestamp' | 'shiftBy';

function resetTarget(kind: TargetKind, value: string): unknown {
  if (kind === 'earliest' || kind === 'latest') return kind;
  if (kind === 'timestamp') {
    const at = new Date(value).getTime();
    if (!Number.isFinite(at)) throw new Error('pick a date and time');
    return { timestamp: at };
  }
  const number = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(number)) throw new Error(`${kind} needs a whole number`);
  return { [kind]: number };
}

function ResetForm({ group, topics, onApplied }: { group: string; topics: string[]; onApplied: () => void }) {
  const [topic, setTopic] = useState(topics[0] ?? '');
  const [kind, setKind] = useState<TargetKind>('earliest');
  const [value, setValue] = useState('');
  const [preview, setPreview] = useState<ResetResult | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<Error | undefined>();
  const send = async (dryRun: boolean) => {
    setError(undefined);
    setStatus(null);
    try {
      const answer = await api<ResetResult>(`/v1/groups/${seg(group)}/reset`, { method: 'POST', body: { topic, to: resetTarget(kind, value), dryRun } });
      if (dryRun) setPreview(answer);
      else {
        setPreview(null);
        setStatus(`Offsets of ${answer.partitions.length} partition(s) of ${topic} reset`);
        onApplied();
      }
    } catch (caught) {
      setError(caught as Error);
    }
  };
  const change = <T,>(set: (value: T) => void) => (next: T) => {
    set(next);
    setPreview(null);
  };
  return (
    <form class="reset-form" onSubmit={(event) => { event.preventDefault(); void send(true); }} aria-labelledby="reset-title">
      <h2 id="reset-title">Reset offsets</h2>
      <div class="form-row">
        <label>
          Topic
          <input name="topic" list="group-topics" required value={topic} onInput={(event) => change(setTopic)(event.currentTarget.value)} />
          <datalist id="group-topics">{topics.map((name) => <option key={name} value={name} />)}</datalist>
        </label>
        <label>
          To
          <select name="to" value={kind} onChange={(event) => change(setKind)(event.currentTarget.value as TargetKind)}>
            <option value="earliest">earliest</option>
            <option value="latest">latest</option>
            <option value="offset">offset</option>
            <option value="timestamp">time</option>
            <option value="shiftBy">shift by</option>
          </select>
        </label>
        {kind === 'earliest' || kind === 'latest' ? null : (
          <label>
            {kind === 'timestamp' ? 'Time' : kind === 'offset' ? 'Offset' : 'Records (negative: back)'}
            <input name="value" type={kind === 'timestamp' ? 'datetime-local' : 'number'} step={kind === 'timestamp' ? '1' : undefined} required value={value} onInput={(event) => change(setValue)(event.currentTarget.value)} />
          </label>
        )}
        <button type="submit">Preview (dry run)</button>
      </div>
      {preview ? (
        <div class="preview">
          <table aria-label="Reset preview">
            <thead>
              <tr><th scope="col" class="num">Partition</th><th scope="col" class="num">Committed now</th><th scope="col" class="num">After reset</th></tr>
            </thead>
            <tbody>
              {preview.partitions.map((entry) => (
                <tr key={entry.partition}>
                  <td class="num">{entry.partition}</td>
                  <td class="num">{entry.previousOffset ?? '—'}</td>
                  <td class="num">→ {entry.newOffset}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <button type="button" class="danger" onClick={() => void send(false)}>Apply reset</button>
        </div>
      ) : null}
      <Status message={status} />
      <ErrorNote error={error} />
    </form>
  );
}

export function Group({ name }: { name: string }) {
  const samples = useRef<Array<{ at: number; lag: number; lagMs: number }>>([]);
  const { data, error, reload } = usePoll(async (signal) => {
    const group = await api<GroupDescription>(`/v1/groups/${seg(name)}`, { signal });
    const lagMs = Math.max(0, ...group.partitions.map((partition) => partition.lagMs ?? 0));
    samples.current = [...samples.current, { at: Date.now() / 1000, lag: group.totalLag, lagMs }].slice(-LAG_SAMPLES);
    return group;
  }, POLL_MS, [name]);
  const chart = useMemo(() => {
    const points = samples.current;
    return { records: [points.map((p) => p.at), points.map((p) => p.lag)], time: [points.map((p) => p.at), points.map((p) => p.lagMs / 1000)] };
  }, [data]);
  if (!data) return error ? <ErrorNote error={error} /> : <Loading what={`group ${name}`} />;
  const topics = [...new Set(data.partitions.map((partition) => partition.topic))];
  return (
    <>
      <PageHeader title={`Group ${name}`} />
      <p class="muted">
        {data.protocol === 'spool' ? 'HTTP group' : `Kafka group (${data.protocol})`} · {data.state} · generation {data.generation} · assignor {data.assignor} · new members start at {data.offsetReset} · total lag <strong>{count(data.totalLag)}</strong>
      </p>
      <ErrorNote error={error} />
      <section class="charts" aria-label="Lag">
        <TimeChart title="Lag (records)" series={[{ label: 'lag', color: '#8b5cf6' }]} data={chart.records} format={(value) => count(value)} />
        <TimeChart title="Lag (seconds behind)" series={[{ label: 'oldest unconsumed', color: '#ef4444' }]} data={chart.time} format={(value) => value.toFixed(1)} />
      </section>
      <h2>Members</h2>
      {data.members.length === 0 ? (
        <p class="muted">No live members.</p>
      ) : (
        <div class="table-scroll">
          <table aria-label="Members">
            <thead>
              <tr><th scope="col">Member</th><th scope="col">Client</th><th scope="col">Assignments</th></tr>
            </thead>
            <tbody>
              {data.members.map((member) => (
                <tr key={member.memberId}>
                  <td><code>{member.memberId}</code>{member.instanceId ? <div class="muted small">instance {member.instanceId}</div> : null}</td>
                  <td>{member.clientId ?? '—'}{member.clientHost ? <div class="muted small">from {member.clientHost}</div> : null}</td>
                  <td>{member.assignments.map((assignment) => `${assignment.topic}/${assignment.partition}`).join(', ') || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>Partitions</h2>
      <div class="table-scroll">
        <table aria-label="Group partitions">
          <thead>
            <tr><th scope="col">Topic</th><th scope="col" class="num">Partition</th><th scope="col" class="num">Committed</th><th scope="col" class="num">High watermark</th><th scope="col" class="num">Lag</th><th scope="col" class="num">Behind</th><th scope="col">Owner</th></tr>
          </thead>
          <tbody>
            {data.partitions.map((partition) => (
              <tr key={`${partition.topic}/${partition.partition}`}>
                <td>{partition.topic}</td>
                <td class="num">{partition.partition}</td>
                <td class="num">{partition.committedOffset ?? '—'}</td>
                <td class="num">{partition.highWatermark}</td>
                <td class="num">{count(partition.lag)}</td>
                <td class="num">{partition.lagMs === null ? '—' : duration(partition.lagMs)}</td>
                <td>{partition.owner ? <code>{partition.owner.slice(0, 12)}</code> : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ResetForm group={name} topics={topics} onApplied={reload} />
    </>
  );
}
