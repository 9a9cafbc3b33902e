/**
 * The web console on a broker that requires credentials, in headless Chromium: the first 401 shows
 * the token prompt; a wrong token is refused there; a right one is traded for the HttpOnly session
 * cookie (no token in storage, in a URL or readable by scripts), after which the pages load and the
 * live tail (EventSource, which cannot send headers) streams through the cookie.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_EXECUTABLE as CHROMIUM } from '../../bench/lib/chromium.js';
import { call, type TestBroker } from '../broker/support/broker.js';
import { admin, startSecuredBroker, tokenFor } from '../broker/security/support.js';
import { launchBrowser, openPage, type Browser } from './support/browser.js';

let broker: TestBroker;
let browser: Browser;
let token: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  broker = await startSecuredBroker({ flush: 'never' });
  token = (await tokenFor(broker.url, 'admin')).token;
  await call(`${broker.url}/v1/topics`, { method: 'POST', headers: admin, json: { name: 'orders', partitions: 1 } });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await broker?.close();
});

describe('web console with credentials', () => {
  it('asks for a token, refuses a wrong one, then works through the session cookie, live tail included', async () => {
    const watched = await openPage(browser, `${broker.url}/console/#/live?topic=orders`);
    const { page } = watched;
    const dialog = page.getByRole('dialog', { name: 'This broker needs credentials' });
    await dialog.waitFor();
    await page.getByLabel('API token').fill(`${token.slice(0, -2)}xx`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Log in' }).click();
    await dialog.waitFor({ state: 'detached' });

    const cookies = await browser.context.cookies(broker.url);
    const session = cookies.find((cookie) => cookie.name === 'spool_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(await page.evaluate(() => document.cookie)).not.toContain('spool_session');
    expect(await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }))).not.toContain(token);

    await call(`${broker.url}/v1/topics/orders/records`, { method: 'POST', headers: admin, json: { records: [{ key: 'after-login', value: { ok: true } }] } });
    await page.getByRole('row', { name: /after-login/ }).waitFor();
    expect(page.url()).not.toContain(token);
    // Only the answers that asked for credentials (before login, and the wrong token) were errors.
    expect(watched.problems.filter((problem) => !problem.startsWith('HTTP 401') && !problem.includes('status of 401'))).toEqual([]);
    await watched.screenshot('console-token-prompt-after-login');
    await page.close();
  });
});
