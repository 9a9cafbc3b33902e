import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPENDED_CHANNEL, type AppendedMessage, FETCH_READY_CHANNEL, type FetchReadyMessage } from '../../../broker/http/trace-channels.js';
import { Spool } from '../../../client/index.js';
import { startBroker, type TestBroker } from '../support/broker.js';

describe('trace channels: where records are on their way through the broker', () => {
  let broker: TestBroker;
  let spool: Spool;
  beforeAll(async () => {
    broker = await startBroker({ flush: 'never' });
    spool = new Spool({ url: broker.url });
    await spool.admin.createTopic({ name: 'traced', partitions: 2 });
  });
  afterAll(async () => {
    await spool.close();
    await broker.close();
  });

  it('names the offsets of every raw-batch append and of every fetch answer that holds records', async () => {
    const appended: Array<Omit<AppendedMessage, 'request'> & { method?: string }> = [];
    const ready: Array<Omit<FetchReadyMessage, 'request'> & { url?: string }> = [];
    const onAppended = (message: unknown) => {
      const { request, ...rest } = message as AppendedMessage;
      appended.push({ ...rest, method: request.method });
    };
    const onReady = (message: unknown) => {
      const { request, ...rest } = message as FetchReadyMessage;
      ready.push({ ...rest, url: request.url });
    };
    subscribe(APPENDED_CHANNEL, onAppended);
    subscribe(FETCH_READY_CHANNEL, onReady);
    try {
      const producer = spool.producer<string>({ codec: 'string' });
      await producer.send('traced', [{ value: 'a', partition: 1 }, { value: 'b', partition: 1 }]);
      await producer.send('traced', [{ value: 'c', partition: 1 }]);
      await producer.close();
      const consumer = spool.consumer<string>({ topics: ['traced'], partitions: [1], from: 'earliest', codec: 'string' });
      const seen: string[] = [];
      await consumer.run({ eachMessage: (message) => void seen.push(message.value) });
      await expect.poll(() => seen).toEqual(['a', 'b', 'c']);
      await consumer.close();
    } finally {
      unsubscribe(APPENDED_CHANNEL, onAppended);
      unsubscribe(FETCH_READY_CHANNEL, onReady);
    }
    expect(appended).toEqual([
      { topic: 'traced', partition: 1, baseOffset: 0, lastOffset: 1, method: 'POST' },
      { topic: 'traced', partition: 1, baseOffset: 2, lastOffset: 2, method: 'POST' },
    ]);
    const fetched = ready.filter((row) => row.partition === 1);
    expect(fetched.length).toBeGreaterThan(0);
    expect(fetched[0]!.fromOffset).toBe(0);
    expect(Math.max(...fetched.map((row) => row.nextOffset))).toBe(3);
    for (const row of fetched) expect(row.url).toContain('/partitions/1/records');
  });
});
