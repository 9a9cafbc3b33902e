/**
 * The console's static files: served by exact name from the build folder with a strict content
 * security policy, revalidated by ETag, nothing else on disk reachable, and off with --no-console.
 * (The pages themselves are tested in Chromium: test/console/.)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { loadBrokerConfig } from '../../../broker/config.js';
import { configOptions } from '../../../broker/config-options.js';
import { call, startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spool-console-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>Spool</title>');
  await writeFile(join(dir, 'app.js'), 'console.log(1)');
  await writeFile(join(dir, 'notes.txt'), 'not an asset type');
});
afterAll(async () => rm(dir, { recursive: true, force: true }));
afterEach(async () => broker?.close());

describe('/console', () => {
  it('serves the page and its files with a content security policy, and 304 when unchanged', async () => {
    broker = await startBroker({ consoleDir: dir });
    const redirect = await fetch(`${broker.url}/console`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('/console/');
    const page = await call(`${broker.url}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const script = await fetch(`${broker.url}/console/app.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const etag = script.headers.get('etag')!;
    expect((await fetch(`${broker.url}/console/app.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('serves nothing but the built assets', async () => {
    broker = await startBroker({ consoleDir: dir });
    for (const path of ['/console/notes.txt', '/console/../package.json', '/console/%2e%2e/package.json', '/console/nope.js', `/console/${'a'.repeat(300)}.js`]) {
      const answer = await call(`${broker.url}${path}`);
      expect(answer.status, path).toBeGreaterThanOrEqual(400);
      expect(answer.status, path).toBeLessThan(500);
      expect(answer.body.error.code, path).toMatch(/^SPOOL_ERR_(ROUTE_NOT_FOUND|BAD_REQUEST)$/);
    }
  });

  it('is off with --no-console, --console false or SPOOL_CONSOLE=false', async () => {
    broker = await startBroker({ consoleDir: dir, settings: { console: false } });
    expect((await call(`${broker.url}/console/`)).status).toBe(404);
    const flags = (argv: string[]) => {
      const command = new Command();
      for (const option of configOptions()) command.addOption(option); // as spool serve declares them
      return command.parse(argv, { from: 'user' }).opts();
    };
    expect(loadBrokerConfig({ flags: flags(['--no-console']) }).console).toBe(false);
    expect(loadBrokerConfig({ flags: flags(['--console', 'false']) }).console).toBe(false);
    expect(loadBrokerConfig({ flags: flags([]), env: { SPOOL_CONSOLE: 'false' } }).console).toBe(false);
    expect(loadBrokerConfig({ flags: flags([]), env: {} }).console).toBe(true);
    expect(() => loadBrokerConfig({ env: { SPOOL_CONSOLE: 'no' } })).toThrow(/SPOOL_CONSOLE must be true or false/);
  });
});
