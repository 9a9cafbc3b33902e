/** spool.streams(topic) against a real broker: conditional appends, paged reads, load, typed conflicts. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spool, type StreamEvent, WrongExpectedVersionError } from '../../client/index.js';
import { startBroker, type TestBroker } from '../broker/support/broker.js';

let broker: TestBroker;
let spool: Spool;
beforeAll(async () => {
  broker = await startBroker({ flush: 'never' });
  spool = new Spool({ url: broker.url });
  await spool.admin.createTopic({ name: 'orders', partitions: 2, config: { streamIndex: true } });
});
afterAll(async () => {
  await spool.close();
  await broker.close();
});

describe('spool.streams', () => {
  it('appends conditionally and throws a typed WrongExpectedVersionError on a conflict', async () => {
    const orders = spool.streams('orders');
    const placed = await orders.append('order-1', [{ type: 'Placed', data: { total: 40 } }], { expectedVersion: 'no_stream' });
    expect(placed).toMatchObject({ firstVersion: 0, lastVersion: 0 });
    const conflict = await orders.append('order-1', [{ type: 'Placed', data: {} }], { expectedVersion: 'no_stream' }).catch((error: unknown) => error);
    expect(conflict).toBeInstanceOf(WrongExpectedVersionError);
    expect(conflict).toMatchObject({ code: 'SPOOL_ERR_WRONG_EXPECTED_VERSION', expectedVersion: 'no_stream', actualVersion: 0, status: 409 });
  });

  it('reads a stream of more than one page as an async iterator, forward and backward, with a limit', async () => {
    const orders = spool.streams('orders');
    for (let chunk = 0; chunk < 3; chunk++) {
      await orders.append('order-long', Array.from({ length: 900 }, (_, i) => ({ type: 'Line', data: { n: chunk * 900 + i } })));
    }
    const versions: number[] = [];
    for await (const event of orders.read<{ n: number }>('order-long')) {
      expect(event.data!.n).toBe(event.version);
      versions.push(event.version);
    }
    expect(versions).toHaveLength(2700);
    const newest: number[] = [];
    for await (const event of orders.read('order-long', { direction: 'backward', limit: 1500 })) newest.push(event.version);
    expect(newest[0]).toBe(2699);
    expect(newest).toHaveLength(1500);
    expect(newest[1499]).toBe(1200);
  });

  it('loads an aggregate and appends after the version it saw', async () => {
    const orders = spool.streams('orders');
    await orders.append('order-2', [{ type: 'Placed', data: { total: 10 } }, { type: 'Paid', data: { amount: 10 } }]);
    const apply = (state: { status: string; paid: number }, event: StreamEvent<{ amount?: number }>) => ({ status: event.type ?? state.status, paid: state.paid + (event.data?.amount ?? 0) });
    const { state, version } = await orders.load('order-2', apply, { status: 'new', paid: 0 });
    expect(state).toEqual({ status: 'Paid', paid: 10 });
    expect(version).toBe(1);
    await orders.append('order-2', [{ type: 'Shipped', data: {} }], { expectedVersion: version });
    expect(await orders.describe('order-2')).toMatchObject({ version: 2, eventCount: 3 });
    expect((await orders.list({ prefix: 'order-' })).streams).toEqual(['order-1', 'order-2', 'order-long']);
  });
});
