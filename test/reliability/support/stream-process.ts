/** Shared steps of the stream tests that kill a broker process (erase and cleaner passes under SIGKILL). */
import { expect } from 'vitest';
import type { BrokerProcess } from '../../../bench/lib/broker-process.js';
import { request } from '../../../bench/lib/spool-http.js';

/** Appends `count` ~250-byte events in one request to the stream at `eventsUrl`, each value `${prefix}-${i}`. */
export async function appendMany(eventsUrl: string, prefix: string, count: number): Promise<void> {
  const events = Array.from({ length: count }, (_, i) => ({ type: 'Changed', data: { value: `${prefix}-${i}`, pad: 'x'.repeat(200) } }));
  const answer = await request(eventsUrl, { method: 'POST', json: { events } });
  expect(answer.status).toBe(200);
}

/** SIGKILL, and wait for the process to be gone. */
export async function killBroker(broker: BrokerProcess): Promise<void> {
  const exited = new Promise((resolve) => broker.child.once('exit', resolve));
  broker.child.kill('SIGKILL');
  await exited;
}
