/** GET .../records?format=batch&follow=true: a fetch that stays open and streams batches as they are appended. */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spool } from '../../../client/index.js';
import { decodeRecordBatches } from '../../../storage/index.js';
import { call, startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker;
let spool: Spool;
beforeAll(async () => {
  broker = await startBroker({ flush: 'never' });
  spool = new Spool({ url: broker.url });
  await spool.admin.createTopic({ name: 'followed', partitions: 1 });
});
afterAll(async () => {
  await spool.close();
  await broker.close();
});

const path = (query: string) => `${broker.url}/v1/topics/followed/partitions/0/records?${query}`;

async function produce(values: string[]): Promise<void> {
  const producer = spool.producer<string>({ codec: 'string' });
  await producer.send('followed', values.map((value) => ({ value })));
  await producer.close();
}

/** Reads a streamed answer until `done` says its bytes are enough. */
async function readUntil(body: AsyncIterable<Buffer>, done: (values: string[]) => boolean): Promise<string[]> {
  let bytes = Buffer.alloc(0);
  for await (const chunk of body) {
    bytes = Buffer.concat([bytes, chunk]);
    const values = decodeRecordBatches(bytes).flatMap((batch) => batch.records.map((record) => record.value!.toString()));
    if (done(values)) return values;
  }
  throw new Error('the followed fetch ended early');
}

describe('followed fetch', () => {
  it('refuses follow without format=batch, and a follow that is not a boolean, naming the field', async () => {
    const json = await call(path('offset=0&follow=true'));
    expect(json.status).toBe(400);
    expect(json.body.error).toMatchObject({ code: 'SPOOL_ERR_BAD_REQUEST', field: 'follow' });
    const typo = await call(path('offset=0&format=batch&follow=yes-please'));
    expect(typo.status).toBe(400);
    expect(typo.body.error.code).toBe('SPOOL_ERR_BAD_REQUEST');
  });

  it('keeps the answer open and writes records appended later into it, in order', async () => {
    await produce(['a', 'b']);
    const controller = new AbortController();
    const answer = await request(path('offset=0&format=batch&follow=true&maxWaitMs=5000'), { signal: controller.signal });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toBe('application/vnd.spool.batch');
    expect(answer.headers['spool-next-offset']).toBe('2');
    const later = produce(['c']).then(() => produce(['d', 'e']));
    const values = await readUntil(answer.body, (seen) => seen.length >= 5);
    await later;
    expect(values).toEqual(['a', 'b', 'c', 'd', 'e']);
    controller.abort();
    await answer.body.dump().catch(() => undefined);
    // The reader that went away holds nothing: the partition serves the next fetch as before.
    expect((await call(path('offset=4'))).body.records.map((record: { value: string }) => record.value)).toEqual(['e']);
  });

  it('answers as a plain fetch when nothing comes within maxWaitMs, and ends a stream that falls silent for maxWaitMs', async () => {
    const end = Number((await call(path('offset=latest'))).body.nextOffset);
    const empty = await request(path(`offset=${end}&format=batch&follow=true&maxWaitMs=50`));
    expect(empty.statusCode).toBe(200);
    expect((await empty.body.arrayBuffer()).byteLength).toBe(0);
    await produce(['f']);
    const silent = await request(path(`offset=${end}&format=batch&follow=true&maxWaitMs=200`));
    const bytes = Buffer.from(await silent.body.arrayBuffer()); // complete: the broker ended it
    expect(decodeRecordBatches(bytes).flatMap((batch) => batch.records.map((record) => record.value!.toString()))).toEqual(['f']);
  });

  it('is ended by the broker closing, which does not wait for it', async () => {
    const own = await startBroker({ flush: 'never' });
    const client = new Spool({ url: own.url });
    try {
      await client.admin.createTopic({ name: 'closing', partitions: 1 });
      const producer = client.producer<string>({ codec: 'string' });
      await producer.send('closing', [{ value: 'x' }]);
      await producer.close();
      const answer = await request(`${own.url}/v1/topics/closing/partitions/0/records?offset=0&format=batch&follow=true&maxWaitMs=60000`);
      const body = answer.body.arrayBuffer().catch(() => null);
      await own.close(); // with the stream open: resolves well before maxWaitMs
      await body;
    } finally {
      await client.close();
    }
  });
});
