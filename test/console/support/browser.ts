/**
 * Debian's headless Chromium driven by playwright-core (no browser download: playwright-core only
 * drives the executable it is given). Every page opened through `openPage` records what would be
 * a defect for a user: console errors, uncaught exceptions, failed requests and error answers.
 */
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots of every page land here (gitignored); the best are copied to docs/images by hand. */
export const SCREENSHOT_DIR = join(process.cwd(), 'test-results', 'console');

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A browser with a fresh profile (--user-data-dir in a new temporary folder). */
export async function launchBrowser(): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'spool-chromium-'));
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 860 },
    colorScheme: 'light',
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export interface WatchedPage {
  page: Page;
  /** Console errors, page errors, failed requests and HTTP errors seen so far. */
  problems: string[];
  screenshot(name: string): Promise<void>;
}

export async function openPage(browser: Browser, url: string, options: { width?: number; height?: number; theme?: 'light' | 'dark' } = {}): Promise<WatchedPage> {
  const page = await browser.context.newPage();
  // A missing element fails in 10 s, not playwright's 30: the suite must stay short (CI's budget).
  page.setDefaultTimeout(10_000);
  if (options.width) await page.setViewportSize({ width: options.width, height: options.height ?? 860 });
  if (options.theme) await page.addInitScript((theme) => localStorage.setItem('spool.theme', theme), options.theme);
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    // The page cancelling its own request (a poll on leaving a view, a live tail closed) is not a failure.
    if (request.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
  });
  await page.goto(url);
  return {
    page,
    problems,
    screenshot: async (name) => {
      await page.evaluate(() => scrollTo(0, 0)); // else the sticky header is drawn where the page was scrolled to
      await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
    },
  };
}
