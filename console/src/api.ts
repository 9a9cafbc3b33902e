/**
 * The console's only way to the broker: its public HTTP API, same origin. Errors come back as
 * ApiError with the broker's SPOOL_ERR_* code. When the broker asks for credentials (401), the
 * token prompt is shown and the token is traded once for a session (POST /v1/session): the broker
 * sets an HttpOnly SameSite=Strict cookie that every fetch and EventSource (live tail) then sends
 * by itself. The token is kept nowhere (no storage, never in a URL); scripts cannot read the cookie.
 */
import type { StreamEventView } from '../../client/types.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const unauthorizedListeners = new Set<() => void>();

/** Logs this browser in with an API token (an ApiError with SPOOL_ERR_UNAUTHENTICATED when it is wrong). */
export async function login(token: string): Promise<void> {
  await api('/v1/session', { method: 'POST', body: { token }, quiet: true });
}

/** Called whenever the broker answers 401; answers a function that stops listening. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** A path segment, encoded (topic and group names may hold `.`, `_` and `-` only, but be safe). */
export const seg = (value: string | number): string => encodeURIComponent(String(value));

export async function api<T>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal; quiet?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: init.signal,
    credentials: 'same-origin',
  });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text.length > 0 ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    if (response.status === 401 && !init.quiet) for (const listener of unauthorizedListeners) listener();
    const error = (json as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? (text.slice(0, 200) || response.statusText));
  }
  return json as T;
}

// The shapes the pages read (docs/http-api.md has the full contract). Those the TypeScript client
// declares already come from there, as types only: nothing of the client runs in the page.
export type { GroupDescription, GroupSummary, ResetResult, StreamInfo, TopicDescription } from '../../client/types.js';

export interface Rates {
  recordsInPerSec: number;
  bytesInPerSec: number;
  recordsOutPerSec: number;
  bytesOutPerSec: number;
}

export interface HistoryPoint extends Rates {
  at: number;
  fsyncs: number;
  fsyncMeanMs: number;
  fsyncMaxMs: number;
}

export interface TopicStats extends Rates {
  name: string;
  partitions: number;
  bytes: number;
  segments: number;
  retentionMs: number;
  retentionBytes: number;
  cleanupPolicy: string;
}

export interface Stats {
  version: string;
  startedAt: string;
  uptimeMs: number;
  dataDir: string;
  dataDirBytes: number;
  disk: { freeBytes: number; totalBytes: number };
  connections: number;
  liveSubscribers: number;
  longPolls: number;
  rates: Rates;
  fsync: { count: number; meanMs: number; maxMs: number; windowMs: number };
  history: { intervalMs: number; points: HistoryPoint[] };
  topics: TopicStats[];
}


export interface FetchedRecord {
  offset: number;
  timestamp: number;
  key?: string | null;
  keyBase64?: string;
  value?: unknown;
  valueBase64?: string;
  headers: Record<string, string | null>;
}

export interface FetchAnswer {
  records: FetchedRecord[];
  nextOffset: number;
  highWatermark: number;
  logStartOffset: number;
}

export interface QueueDescription {
  topic: string;
  name: string;
  config: { visibilityMs: number; maxDeliveries: number; deadLetterTopic: string; orderedByKey: boolean };
  available: number;
  inFlight: number;
  deadLettered: number;
  totals: { delivered: number; acked: number; deadLettered: number };
  partitions: Array<{ partition: number; ackedThrough: number; highWatermark: number; available: number; inFlight: number; deadLettered: number }>;
}

export interface RedriveAnswer {
  deadLetterTopic: string;
  dryRun: boolean;
  redriven: Array<{ deadLetterPartition: number; deadLetterOffset: number; partition: number; originalOffset: number; reason: string | null; offset?: number }>;
  more: boolean;
}

/** One event of a stream, as a read answers it and as each SSE `record` of the stream's live route carries it. */
export type StreamEvent = StreamEventView;

export interface StreamPage {
  stream: string;
  partition: number;
  version: number;
  events: StreamEvent[];
  nextVersion: number | null;
}
