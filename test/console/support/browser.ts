/**
 * Debian's headless Chromium driven by playwright-core (no browser download: playwright-core only
 * drives the executable it is given). Every page opened through `openPage` records what would be
 * a defect for a user: console errors, uncaught exceptions, failed requests and error answers.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, type LaunchedChromium } from '../../../bench/lib/chromium.js';

/** Screenshots of every page land here (gitignored); the best are copied to docs/images by hand. */
export const SCREENSHOT_DIR = join(process.cwd(), 'test-results', 'console');

export type Browser = LaunchedChromium;

export async function launchBrowser(): Promise<Browser> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  return launchChromium({ viewport: { width: 1280, height: 860 }, colorScheme: 'light' });
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
