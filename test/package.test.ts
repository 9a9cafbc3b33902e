/**
 * The package as npm installs it on the Node the README names (issue 20 item 6): every locked
 * dependency accepts that Node, so `npm ci` prints no EBADENGINE warning; and the overrides that
 * make it so (package.json) keep the docs UI and fastify's inject working.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startBroker, type TestBroker } from './broker/support/broker.js';

const ROOT = join(import.meta.dirname, '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; engines?: { node?: string } | string[]; dev?: boolean }> };

describe('engines', () => {
  const oldestNode = semver.minVersion(manifest.engines.node)!.version;

  // Users install the production dependencies on any Node package.json accepts; the development
  // ones (vitest's bundler wants 20.19) only have to run here.
  it.each([
    ['production', 'the oldest Node package.json names', oldestNode],
    ['every', 'the running Node', process.versions.node],
  ])('%s locked package accepts %s', (which, _node, node) => {
    const refusing = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && (which === 'every' || !entry.dev) && entry.engines && !Array.isArray(entry.engines) && entry.engines.node)
      .filter(([, entry]) => !semver.satisfies(node, (entry.engines as { node: string }).node))
      .map(([path, entry]) => `${path}@${entry.version} wants node ${(entry.engines as { node: string }).node}`);
    expect(refusing).toEqual([]);
  });
});

describe('the overridden packages at work', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startBroker();
  });
  afterAll(async () => broker.close());

  it('serves the docs UI through @fastify/static', async () => {
    const page = await fetch(`${broker.url}/docs/static/index.html`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger');
  });

  it('answers fastify inject (light-my-request)', async () => {
    const answer = await broker.broker.app.inject({ method: 'GET', url: '/health' });
    expect(answer.statusCode).toBe(200);
  });
});
