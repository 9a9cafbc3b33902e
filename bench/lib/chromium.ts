/**
 * Debian's headless Chromium, driven by playwright-core (no browser download), for benchmarks of
 * the web console. The tests have their own launcher (test/console/support/browser.ts): nothing
 * imports test/ or bench/ from the other side. The flags keep the browser from reaching out
 * (updates, sync, QUIC) and from needing a GPU or a sandbox inside a container.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

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

export async function launchChromium(): Promise<{ context: BrowserContext; profile: string; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'spool-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  return {
    context,
    /** The profile folder: every process of this browser names it on its command line. */
    profile,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
