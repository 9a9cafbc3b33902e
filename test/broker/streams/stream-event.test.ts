import { describe, expect, it } from 'vitest';
import type { DecodedRecord } from '../../../storage/index.js';
import { EVENT_ID_HEADER, EVENT_METADATA_HEADER, EVENT_TYPE_HEADER, toEventRecords, toEventView } from '../../../broker/streams/stream-event.js';

const record = (headers: DecodedRecord['headers'], value: Buffer | null): DecodedRecord => ({ offset: 7, timestamp: 1_700_000_000_000, key: Buffer.from('order-1'), value, headers });
const json = (text: string) => ({ key: 'content-type', value: Buffer.from(text) });

describe('events as records and back', () => {
  it('round-trips type, id, data and metadata through the records an append writes', () => {
    const events = [{ type: 'Paid', data: { amount: 40 }, metadata: { by: 'ann' }, id: 'e-1' }, { type: 'Paid', data: ['x'] }];
    const { records, ids } = toEventRecords(Buffer.from('order-1'), events, { streamEventMetadataBytesMax: 1_000 });
    expect(ids[0]).toBe('e-1');
    const views = records.map((input, index) => toEventView(record(input.headers!.map(({ key, value }) => ({ key, value: value ?? null })), input.value!), index));
    expect(views).toEqual([
      { version: 0, offset: 7, timestamp: 1_700_000_000_000, type: 'Paid', id: 'e-1', data: { amount: 40 }, metadata: { by: 'ann' } },
      { version: 1, offset: 7, timestamp: 1_700_000_000_000, type: 'Paid', id: ids[1], data: ['x'] },
    ]);
    // The shared type bytes are one value for both events: the encoders only read it.
    expect(records[0]!.headers![1]!.value).toBe(records[1]!.headers![1]!.value);
  });

  it('reads records other producers wrote: the first header of a name wins, even a null one; values that are not JSON come as dataBase64', () => {
    const view = toEventView(
      record(
        [
          { key: EVENT_TYPE_HEADER, value: null },
          { key: EVENT_TYPE_HEADER, value: Buffer.from('Second') },
          { key: EVENT_ID_HEADER, value: Buffer.from('first') },
          { key: EVENT_ID_HEADER, value: Buffer.from('second') },
          { key: EVENT_METADATA_HEADER, value: Buffer.from('not json') },
          json('application/json'),
        ],
        Buffer.from('{broken'),
      ),
      3,
    );
    expect(view).toEqual({ version: 3, offset: 7, timestamp: 1_700_000_000_000, type: null, id: 'first', dataBase64: Buffer.from('{broken').toString('base64'), metadata: 'not json' });
    expect(toEventView(record([], Buffer.from([0xff])), 0)).toEqual({ version: 0, offset: 7, timestamp: 1_700_000_000_000, type: null, id: null, dataBase64: '/w==' });
  });

  it('refuses one event id twice in an append, and gives distinct ids to events without one', () => {
    expect(() => toEventRecords(Buffer.from('s'), [{ type: 't', data: 1, id: 'a' }, { type: 't', data: 2, id: 'a' }], { streamEventMetadataBytesMax: 100 })).toThrow(/events\[1\]\.id "a" appears twice/);
    const { ids } = toEventRecords(Buffer.from('s'), Array.from({ length: 50 }, () => ({ type: 't', data: 1 })), { streamEventMetadataBytesMax: 100 });
    expect(new Set(ids).size).toBe(50);
  });
});
