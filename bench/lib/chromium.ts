/**
 * Debian's headless Chromium, driven by playwright-core (no browser download), for the console's
 * benchmark and its tests (test/console/support/browser.ts adds page watching on top). The flags
 * keep the browser from reaching out (updates, sync, QUIC) and from needing a GPU or a sandbox
 * inside a container.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_EXECUTABLE = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface LaunchedChromium {
  context: BrowserContext;
  /** The profile folder (--user-data-dir): every process of this browser names it on its command line. */
  profile: string;
  close(): Promise<void>;
}

/** A browser with a fresh profile in a new temporary folder, removed by close(). */
export async function launchChromium(options: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark' } = {}): Promise<LaunchedChromium> {
  const profile = mkdtempSync(join(tmpdir(), 'spool-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_EXECUTABLE, headless: true, args: CHROMIUM_ARGS, ...options });
  return {
    context,
    profile,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
