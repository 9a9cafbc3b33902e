/** Produce and replay through Spool's own client: bench:client's runs, and bench:kafka's reference. */
import type { Spool } from '../../client/index.js';

/** Pushes `records` values into a new topic of `partitions` partitions; answers records/s. */
export async function clientProduce(spool: Spool, topic: string, partitions: number, records: number, value: Buffer): Promise<number> {
  await spool.admin.createTopic({ name: topic, partitions });
  const producer = spool.producer<Buffer>({ codec: 'bytes', lingerMs: 5 });
  const started = performance.now();
  for (let i = 0; i < records; i++) {
    if (!producer.push(topic, { value })) await producer.drain();
  }
  await producer.close();
  return records / ((performance.now() - started) / 1000);
}

/** One group consumer reading a topic's `records` from the start; answers records/s. */
export async function clientReplay(spool: Spool, topic: string, records: number): Promise<number> {
  const consumer = spool.consumer<Buffer>({ groupId: `replay-${topic}`, topics: [topic], offsetReset: 'earliest', codec: 'bytes', maxBytes: 4 * 1024 * 1024 });
  let seen = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const started = performance.now();
  await consumer.run({
    eachBatch: ({ messages }) => {
      seen += messages.length;
      if (seen >= records) done();
    },
  });
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await consumer.close();
  return records / seconds;
}
