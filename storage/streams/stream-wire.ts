/**
 * The JSON shapes of the stream routes (broker/routes/streams.ts), declared once for the broker
 * that answers them and the client that reads them (as the batch content type lives in codec/).
 */
export interface StreamAppendAnswer {
  stream: string;
  partition: number;
  firstVersion: number;
  lastVersion: number;
  offsets: number[];
  /** A retry recognised by its event ids: the original result, nothing written. */
  duplicate?: boolean;
}

export interface StreamEventView<T = unknown> {
  version: number;
  offset: number;
  timestamp: number;
  /** Null for a record produced without the stream API. */
  type: string | null;
  id: string | null;
  data?: T;
  /** The value when it is not JSON (a record produced by other means). */
  dataBase64?: string;
  metadata?: unknown;
}

export interface StreamInfo {
  stream: string;
  partition: number;
  /** The last event's version; -1 without events. */
  version: number;
  eventCount: number;
  firstOffset: number | null;
  lastOffset: number | null;
  /** Soft-deleted and not written since: reads find nothing. */
  deleted: boolean;
  metadata: StreamMetadataView;
}

/** A stream's settings as GET/PUT .../metadata answer them: null where unset. */
export interface StreamMetadataView {
  maxCount: number | null;
  maxAgeMs: number | null;
  truncateBefore: number | null;
}
