/**
 * The web console in headless Chromium against a live broker holding real data: every page loads
 * with no console error and no failed request, shows what the API holds, and its actions (create
 * and delete a topic, produce from the form, reset offsets with a dry run first, redrive a dead
 * letter, live tail) change the broker as the API then reports. Needs `npm run build` (the
 * console's files) and Debian's chromium; screenshots go to test-results/console/.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { consoleBuildDir } from '../../broker/package-files.js';
import { call, startBroker, type TestBroker } from '../broker/support/broker.js';
import { CHROMIUM_EXECUTABLE as CHROMIUM } from '../../bench/lib/chromium.js';
import { launchBrowser, openPage, type Browser, type WatchedPage } from './support/browser.js';

let broker: TestBroker;
let browser: Browser;
const api = (path: string, init: RequestInit & { json?: unknown } = {}) => call(`${broker.url}${path}`, init);

/**
 * Topic `orders` (3 partitions) with JSON, text and binary records; group `billing` (one member) behind on it; queue `jobs` with a dead letter;
 * stream topic `accounts` with stream `account-1` (25 events, the first with metadata), `account-2`, and `account-3` (3 events, the first hidden by truncateBefore).
 */
async function seed(): Promise<void> {
  await api('/v1/topics', { method: 'POST', json: { name: 'orders', partitions: 3 } });
  const records = [
    ...Array.from({ length: 30 }, (_, i) => ({ partition: 0, key: `customer-${i}`, value: { order: i, total: i * 10 }, headers: { source: 'seed' } })),
    { partition: 0, key: 'note', valueString: 'plain text value' },
    { partition: 0, key: 'blob', valueBase64: Buffer.from([0, 1, 2, 0xfe, 0xff, 0x41]).toString('base64') },
    ...Array.from({ length: 5 }, (_, i) => ({ partition: 1, value: { other: i } })),
  ];
  expect((await api('/v1/topics/orders/records', { method: 'POST', json: { records } })).status).toBe(200);
  expect((await api('/v1/groups/billing/offsets', { method: 'POST', json: { offsets: [{ topic: 'orders', partition: 0, offset: 10 }, { topic: 'orders', partition: 1, offset: 2 }] } })).status).toBe(200);
  const joined = await api('/v1/groups/billing/members', { method: 'POST', json: { topics: ['orders'], sessionTimeoutMs: 300_000, clientId: 'billing-service' } });
  expect(joined.status).toBe(200);
  await api('/v1/topics', { method: 'POST', json: { name: 'jobs', partitions: 1 } });
  await api('/v1/topics/jobs/records', { method: 'POST', json: { records: [{ value: { job: 'resize' } }] } });
  await api('/v1/topics/jobs/queues/workers', { method: 'PUT', json: {} });
  const { messages } = (await api('/v1/topics/jobs/queues/workers/receive', { method: 'POST', json: {} })).body;
  await api('/v1/topics/jobs/queues/workers/reject', { method: 'POST', json: { receipts: [messages[0].receipt], reason: 'image too large' } });
  await api('/v1/topics', { method: 'POST', json: { name: 'accounts', partitions: 2, config: { streamIndex: true } } });
  const events = Array.from({ length: 25 }, (_, i) => ({ type: i === 0 ? 'AccountOpened' : 'Deposited', id: `evt-${i}`, data: { amount: i }, ...(i === 0 ? { metadata: { user: 'ada' } } : {}) }));
  expect((await api('/v1/topics/accounts/streams/account-1/events', { method: 'POST', json: { events, expectedVersion: 'no_stream' } })).status).toBe(200);
  await api('/v1/topics/accounts/streams/account-2/events', { method: 'POST', json: { events: [{ type: 'AccountOpened', data: {} }] } });
  await api('/v1/topics/accounts/streams/account-3/events', { method: 'POST', json: { events: [0, 1, 2].map((i) => ({ type: 'Noted', data: { i } })) } });
  expect((await api('/v1/topics/accounts/streams/account-3/metadata', { method: 'PUT', json: { truncateBefore: 1 } })).status).toBe(200);
}

beforeAll(async () => {
  if (!existsSync(join(consoleBuildDir(), 'app.js'))) throw new Error('the console is not built: run npm run build');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  broker = await startBroker({ flush: 'never', kafka: true, limits: { statsSampleIntervalMs: 200 } });
  await seed();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await broker?.close();
});

const open = (hash: string, options?: Parameters<typeof openPage>[2]) => openPage(browser, `${broker.url}/console/${hash}`, options);

async function finish(watched: WatchedPage, screenshot: string): Promise<void> {
  await watched.screenshot(screenshot);
  expect(watched.problems).toEqual([]);
  await watched.page.close();
}

describe('web console', () => {
  it('overview: version, sizes and live charts from /v1/stats, groups by lag', async () => {
    const stats = (await api('/v1/stats')).body;
    const watched = await open('#/');
    const { page } = watched;
    await page.getByText(stats.version, { exact: true }).waitFor();
    await expect.poll(() => page.locator('.chart canvas').count()).toBeGreaterThanOrEqual(3);
    const lag = (await api('/v1/groups')).body.groups.find((group: { name: string }) => group.name === 'billing').totalLag;
    const row = page.getByRole('row', { name: /billing/ });
    await expect.poll(() => row.textContent()).toContain(lag.toLocaleString('en-US'));
    await finish(watched, 'overview');
  });

  it('topics: lists the API\'s topics, creates one and deletes it after confirmation', async () => {
    const watched = await open('#/topics');
    const { page } = watched;
    await page.getByRole('row', { name: /orders/ }).waitFor();
    for (const topic of (await api('/v1/topics')).body.topics) await page.getByRole('link', { name: topic.name, exact: true }).waitFor();
    await page.getByLabel('Name').fill('made-in-browser');
    await page.getByLabel('Partitions').fill('4');
    await page.getByRole('button', { name: 'Create topic' }).click();
    await page.getByRole('status').filter({ hasText: 'Created topic made-in-browser' }).waitFor();
    expect((await api('/v1/topics/made-in-browser')).body.partitions).toBe(4);
    await page.getByRole('link', { name: 'made-in-browser', exact: true }).waitFor();
    await finish(watched, 'topics');

    const again = await open('#/topics');
    await again.page.getByRole('button', { name: 'Delete topic made-in-browser' }).click();
    const dialog = again.page.getByRole('dialog');
    await expect.poll(() => dialog.getByRole('button', { name: 'Delete topic' }).isDisabled()).toBe(true);
    await dialog.getByLabel(/Type/).fill('made-in-browser');
    await dialog.getByRole('button', { name: 'Delete topic' }).click();
    await again.page.getByRole('status').filter({ hasText: 'Deleted topic made-in-browser' }).waitFor();
    expect((await api('/v1/topics/made-in-browser')).status).toBe(404);
    await finish(again, 'topics-after-delete');
  });

  it('topic: per partition offsets as the API describes them, and a config change', async () => {
    const described = (await api('/v1/topics/orders')).body;
    const watched = await open('#/topics/orders');
    const { page } = watched;
    for (const partition of described.partitionDetails) {
      const row = page.getByRole('table', { name: 'Partitions' }).getByRole('row').nth(partition.partition + 1);
      await expect.poll(() => row.textContent()).toContain(String(partition.highWatermark));
    }
    await page.getByLabel('retentionMs', { exact: true }).fill('3600000');
    await page.getByRole('button', { name: 'Save 1 change' }).click();
    await page.getByRole('status').filter({ hasText: 'Config saved' }).waitFor();
    expect((await api('/v1/topics/orders')).body.config.retentionMs).toBe(3_600_000);
    await finish(watched, 'topic');
  });

  it('messages: records as the API fetches them, JSON, text and hex, paged; produce from the form', async () => {
    const fetched = (await api('/v1/topics/orders/partitions/0/records?offset=20')).body.records;
    const watched = await open('#/messages?topic=orders&partition=0&offset=20');
    const { page } = watched;
    const records = page.getByRole('list').filter({ has: page.locator('.record') });
    await records.locator('.record').first().waitFor();
    const offsets = await page.locator('.record .offset').allTextContents();
    expect(offsets).toEqual(fetched.map((record: { offset: number }) => `#${record.offset}`));
    await expect.poll(() => page.getByLabel('Record at offset 20').locator('pre').textContent()).toBe(JSON.stringify({ order: 20, total: 200 }, null, 2));
    expect(await page.getByLabel('Record at offset 30').locator('pre').textContent()).toBe('plain text value');
    expect(await page.getByLabel('Record at offset 31').locator('pre').textContent()).toContain('00 01 02 fe ff 41');
    await watched.screenshot('messages');
    await page.getByRole('button', { name: '← Previous' }).click();
    await page.getByLabel('Record at offset 0').waitFor();
    // Seek by time: a time before every record answers the first offset (GET .../offsets?timestamp=).
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByLabel('Record at offset 20').waitFor();
    await page.getByLabel('From time').fill('2020-01-01T00:00:00');
    await page.getByLabel('From time').press('Enter');
    await page.getByLabel('Record at offset 0').waitFor();
    expect(await page.evaluate(() => location.hash)).toContain('offset=0');

    await page.getByLabel('Key', { exact: true }).fill('from-the-form');
    await page.getByLabel('Value', { exact: true }).fill('{"made": "in chromium"}');
    await page.getByRole('textbox', { name: /^Headers/ }).fill('trace: abc123');
    await page.getByRole('button', { name: 'Produce' }).click();
    const status = page.getByRole('status').filter({ hasText: /Produced to partition \d+ at offset \d+/ });
    await status.waitFor();
    const [, partition, offset] = /partition (\d+) at offset (\d+)/.exec((await status.textContent())!)!;
    const written = (await api(`/v1/topics/orders/partitions/${partition}/records?offset=${offset}`)).body.records[0];
    expect(written).toMatchObject({ key: 'from-the-form', value: { made: 'in chromium' }, headers: expect.objectContaining({ trace: 'abc123' }) });
    await finish(watched, 'messages-produced');
  });

  it('live tail: shows a record produced after the page opened, and pause holds the view', async () => {
    const watched = await open('#/live?topic=orders');
    const { page } = watched;
    await page.getByText(/Following/).waitFor();
    await api('/v1/topics/orders/records', { method: 'POST', json: { records: [{ key: 'live-1', value: { seen: 'live' } }] } });
    await page.getByRole('row', { name: /live-1/ }).waitFor();
    expect(await page.getByRole('row', { name: /live-1/ }).getByRole('cell').last().textContent()).toBe('{"seen":"live"}'); // the value on one line
    await page.getByRole('button', { name: 'Pause' }).click();
    await api('/v1/topics/orders/records', { method: 'POST', json: { records: [{ key: 'live-2', value: { seen: 'later' } }] } });
    await expect.poll(() => page.getByText(/2 received/).count()).toBe(1); // counted while paused...
    expect(await page.getByRole('row', { name: /live-2/ }).count()).toBe(0); // ...but not drawn
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('row', { name: /live-2/ }).waitFor();
    await finish(watched, 'live-tail');

    // A pattern: a topic created after the page opened is followed too.
    const byPattern = await open(`#/live?pattern=${encodeURIComponent('orders.*')}`);
    await byPattern.page.getByText(/Following/).waitFor();
    await api('/v1/topics', { method: 'POST', json: { name: 'orders.eu', partitions: 1 } });
    await api('/v1/topics/orders.eu/records', { method: 'POST', json: { records: [{ key: 'by-pattern', value: 1 }] } });
    expect(await byPattern.page.getByRole('row', { name: /by-pattern/ }).textContent()).toContain('orders.eu');
    await finish(byPattern, 'live-tail-pattern');
  });

  it('groups: lag as the API computes it; reset with a dry-run preview, then applied', async () => {
    const described = (await api('/v1/groups/billing')).body;
    const watched = await open('#/groups/billing');
    const { page } = watched;
    await page.getByRole('table', { name: 'Members' }).getByRole('cell', { name: 'billing-service', exact: true }).waitFor();
    const table = page.getByRole('table', { name: 'Group partitions' });
    for (const [i, partition] of described.partitions.entries()) {
      const cells = table.getByRole('row').nth(i + 1).getByRole('cell');
      await expect.poll(() => cells.allTextContents()).toEqual([
        'orders', String(partition.partition), String(partition.committedOffset ?? '—'), String(partition.highWatermark), partition.lag.toLocaleString('en-US'), expect.any(String), expect.any(String),
      ]);
    }
    await page.locator('select[name="to"]').selectOption('earliest');
    await page.getByRole('button', { name: 'Preview (dry run)' }).click();
    const preview = page.getByRole('table', { name: 'Reset preview' });
    await preview.waitFor();
    expect(await preview.getByRole('row').nth(1).textContent()).toContain('10→ 0');
    expect((await api('/v1/groups/billing/offsets')).body.offsets.find((entry: { partition: number }) => entry.partition === 0).offset).toBe(10);
    await watched.screenshot('group-reset-preview');
    await page.getByRole('button', { name: 'Apply reset' }).click();
    await page.getByRole('status').filter({ hasText: /reset/ }).waitFor();
    const offsets = (await api('/v1/groups/billing/offsets')).body.offsets;
    expect(offsets.map((entry: { offset: number }) => entry.offset)).toEqual([0, 0, 0]);
    await finish(watched, 'group');

    const list = await open('#/groups');
    await list.page.getByRole('row', { name: /billing/ }).waitFor();
    await finish(list, 'groups');
  });

  it('groups: a Kafka consumer group is listed beside the HTTP ones, with its protocol and member', async () => {
    const kafka = new Kafka({ clientId: 'kafka-reader', brokers: [broker.kafka!.address], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 50 } });
    const consumer = kafka.consumer({ groupId: 'kafka-readers', sessionTimeout: 30_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
      await consumer.run({ eachMessage: async () => {} });
      await vi.waitFor(async () => expect((await api('/v1/groups/kafka-readers')).body).toMatchObject({ state: 'Stable', members: [expect.anything()] }), { timeout: 15_000, interval: 200 });
      const described = (await api('/v1/groups/kafka-readers')).body;
      const listed = await open('#/groups');
      await listed.page.getByRole('row', { name: /kafka-readers/ }).getByRole('link', { name: 'kafka-readers' }).click();
      await listed.page.getByText(`Kafka group (${described.protocol})`).waitFor();
      await listed.page.getByRole('table', { name: 'Members' }).getByRole('cell', { name: /^kafka-reader from \S+/ }).waitFor(); // its clientId, and the address it connected from
      await finish(listed, 'group-kafka');
    } finally {
      await consumer.disconnect();
    }
  });

  it('queues: depth and dead letters with their reason; redrive after a preview', async () => {
    const listed = await open('#/queues');
    await listed.page.getByRole('row', { name: /workers/ }).waitFor();
    await finish(listed, 'queues');

    const watched = await open('#/queues/jobs/workers');
    const { page } = watched;
    await page.getByRole('row', { name: /image too large/ }).waitFor();
    await page.getByRole('button', { name: 'Preview redrive' }).click();
    await page.getByText('1 dead letter(s) would move back').waitFor();
    expect((await api('/v1/topics/jobs')).body.partitionDetails[0].highWatermark).toBe(1);
    await watched.screenshot('queue-redrive-preview');
    await page.getByRole('button', { name: 'Apply redrive' }).click();
    await page.getByRole('status').filter({ hasText: 'Redrove 1 dead letter(s)' }).waitFor();
    const { messages } = (await api('/v1/topics/jobs/queues/workers/receive', { method: 'POST', json: {} })).body;
    expect(messages).toMatchObject([{ offset: 1, value: { job: 'resize' }, deliveryCount: 1 }]);
    await finish(watched, 'queue');
  });

  it('event streams: a stream\'s info and events as the API reads them, paged both ways, listed by prefix, followed live', async () => {
    const info = (await api('/v1/topics/accounts/streams/account-1')).body;
    const firstPage = (await api('/v1/topics/accounts/streams/account-1/events?limit=20')).body.events;

    const watched = await open('#/streams?topic=accounts&stream=account-1');
    const { page } = watched;
    const cards = page.getByRole('region', { name: 'Stream summary' });
    await expect.poll(() => cards.textContent()).toContain(`Last offset${info.lastOffset}`);
    expect(await cards.textContent()).toContain(`Events${info.eventCount}`);
    await page.getByLabel('Event version 0').waitFor();
    expect(await page.locator('.records .offset').allTextContents()).toEqual(firstPage.map((event: { version: number }) => `v${event.version}`));
    expect(await page.getByLabel('Event version 0').getByLabel('Event data', { exact: true }).textContent()).toBe(JSON.stringify({ amount: 0 }, null, 2));
    expect(await page.getByLabel('Event version 0').getByLabel('Metadata', { exact: true }).textContent()).toBe(JSON.stringify({ user: 'ada' }, null, 2));
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByLabel('Event version 24').waitFor();
    await page.getByRole('button', { name: '← Previous' }).click();
    await page.getByLabel('Event version 0').waitFor();
    await page.locator('select[name="direction"]').selectOption('backward');
    await expect.poll(() => page.locator('.records .offset').first().textContent()).toBe('v24');
    await page.getByRole('list', { name: 'Stream ids' }).getByRole('link', { name: 'account-2', exact: true }).waitFor();
    await watched.screenshot('streams');

    await page.getByRole('button', { name: 'Follow live' }).click();
    await page.getByText(/Following from version 25/).waitFor();
    await api('/v1/topics/accounts/streams/account-1/events', { method: 'POST', json: { events: [{ type: 'Withdrawn', data: { amount: 7 } }], expectedVersion: 24 } });
    const live = page.getByRole('list', { name: 'Live events' });
    await live.getByLabel('Event version 25').getByText('Withdrawn').waitFor();
    await finish(watched, 'streams-live');

    const listed = await open('#/streams?topic=accounts&prefix=account-');
    await listed.page.getByRole('link', { name: 'account-1', exact: true }).click();
    await listed.page.getByLabel('Event version 0').waitFor();
    // By keyboard alone: type an id into the labelled field, Enter looks it up.
    await listed.page.getByRole('textbox', { name: 'Stream id' }).fill('account-2');
    await listed.page.getByRole('textbox', { name: 'Stream id' }).press('Enter');
    await expect.poll(() => listed.page.getByRole('region', { name: 'Stream summary' }).textContent()).toContain('account-2');
    await finish(listed, 'streams-list');

    // Hidden events are neither listed nor counted; the page says why.
    const truncated = await open('#/streams?topic=accounts&stream=account-3');
    await truncated.page.getByText('Its metadata hides events below version 1').waitFor();
    await expect.poll(() => truncated.page.locator('.records .offset').allTextContents()).toEqual(['v1', 'v2']);
    expect(await truncated.page.getByRole('region', { name: 'Stream summary' }).textContent()).toContain('Events2');
    await finish(truncated, 'streams-truncated');
  });

  it('reads on a phone width in the dark theme', async () => {
    const watched = await open('#/', { width: 390, height: 844, theme: 'dark' });
    await watched.page.locator('.chart canvas').first().waitFor();
    expect(await watched.page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    // Nothing wider than the screen: no sideways scrolling of the whole page.
    expect(await watched.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await finish(watched, 'overview-phone-dark');

    const streams = await open('#/streams?topic=accounts&stream=account-1', { width: 390, height: 844, theme: 'dark' });
    await streams.page.getByLabel('Event version 0').waitFor();
    expect(await streams.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await finish(streams, 'streams-phone-dark');
  });
});
