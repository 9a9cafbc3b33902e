/** `spool streams ...` as a child process (the compiled bin) against a real broker. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startBroker, type TestBroker } from '../../broker/support/broker.js';
import { type CliRun, runSpool } from '../support/cli.js';

let broker: TestBroker;

beforeAll(async () => {
  broker = await startBroker({ flush: 'never' });
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'orders', partitions: 2, config: { streamIndex: true } } });
});
afterAll(async () => broker.close());

const spool = (args: string[], input?: string): Promise<CliRun> => runSpool(broker.url, args, input);

describe('spool streams', () => {
  it('appends one event or stdin lines conditionally, reads, describes and lists', async () => {
    const one = await spool(['streams', 'append', 'orders', 'order-1', '--type', 'Placed', '--data', '{"total":40}', '--expected-version', 'no_stream']);
    expect(one.code).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ firstVersion: 0, lastVersion: 0 });
    const lines = '{"type":"Paid","data":{"amount":40}}\n{"type":"Shipped","data":null,"id":"ship-1"}\n';
    const many = await spool(['streams', 'append', 'orders', 'order-1', '-e', '0'], lines);
    expect(JSON.parse(many.stdout)).toMatchObject({ firstVersion: 1, lastVersion: 2 });
    const conflict = await spool(['streams', 'append', 'orders', 'order-1', '-t', 'Late', '-e', '0']);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('SPOOL_ERR_WRONG_EXPECTED_VERSION');
    const read = await spool(['streams', 'read', 'orders', 'order-1', '--backward', '--limit', '2']);
    expect(read.stdout.trim().split('\n').map((line) => JSON.parse(line).type)).toEqual(['Shipped', 'Paid']);
    const info = await spool(['streams', 'info', 'orders', 'order-1']);
    expect(JSON.parse(info.stdout)).toMatchObject({ version: 2, eventCount: 3 });
    expect((await spool(['streams', 'list', 'orders', '--prefix', 'order-'])).stdout).toBe('order-1\n');
  });

  it('refuses a bad expected version or stray event flags with a usage error', async () => {
    expect((await spool(['streams', 'append', 'orders', 'x', '-t', 'A', '-e', 'stream_exists'])).code).toBe(2);
    expect((await spool(['streams', 'append', 'orders', 'x', '--data', '{}'])).code).toBe(2);
    expect((await spool(['streams', 'append', 'orders', 'x', '-t', 'A', '--data', '{bad'])).code).toBe(2);
  });

  it('reads and sets metadata, soft-deletes and erases', async () => {
    await spool(['streams', 'append', 'orders', 'cart-9', '-t', 'A'], undefined);
    await spool(['streams', 'append', 'orders', 'cart-9', '-t', 'B']);
    const set = await spool(['streams', 'metadata', 'orders', 'cart-9', '--max-count', '1']);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ stream: 'cart-9', maxCount: 1, maxAgeMs: null, truncateBefore: null });
    expect(JSON.parse((await spool(['streams', 'metadata', 'orders', 'cart-9'])).stdout).maxCount).toBe(1);
    expect((await spool(['streams', 'read', 'orders', 'cart-9'])).stdout.trim().split('\n').map((line) => JSON.parse(line).type)).toEqual(['B']);
    expect(JSON.parse((await spool(['streams', 'metadata', 'orders', 'cart-9', '--clear'])).stdout).maxCount).toBeNull();
    expect((await spool(['streams', 'metadata', 'orders', 'cart-9', '--clear', '--max-count', '2'])).code).toBe(2);
    expect((await spool(['streams', 'metadata', 'orders', 'cart-9', '--max-count', '-1'])).code).toBe(2);
    expect(JSON.parse((await spool(['streams', 'delete', 'orders', 'cart-9'])).stdout)).toMatchObject({ stream: 'cart-9', truncateBefore: 2 });
    expect(JSON.parse((await spool(['streams', 'info', 'orders', 'cart-9'])).stdout)).toMatchObject({ deleted: true, eventCount: 0 });
    expect(JSON.parse((await spool(['streams', 'erase', 'orders', 'cart-9'])).stdout)).toMatchObject({ stream: 'cart-9' });
    const refused = await spool(['streams', 'append', 'orders', 'cart-9', '-t', 'C']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('SPOOL_ERR_STREAM_ERASED');
    const help = await spool(['streams', 'erase', '--help']);
    expect(help.stdout).toContain('GDPR');
  });
});

describe('spool produce --expected-offsets', () => {
  it('writes every line in one request only when the partition ends at the expected offset', async () => {
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'cas', partitions: 1 } });
    const first = await spool(['produce', 'cas', '--expected-offsets', '0=0'], 'a\nb\n');
    expect(first.code).toBe(0);
    const conflict = await spool(['produce', 'cas', '--expected-offsets', '0=0'], 'c\n');
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('SPOOL_ERR_OFFSET_MISMATCH');
    expect((await spool(['produce', 'cas', '--expected-offsets', '0=2'], 'c\n')).code).toBe(0);
    expect((await spool(['produce', 'cas', '--expected-offsets', 'zero=1'], 'd\n')).code).toBe(2);
    const described = await call(`${broker.url}/v1/topics/cas`);
    expect(described.body.partitionDetails[0].highWatermark).toBe(3);
  });
});
