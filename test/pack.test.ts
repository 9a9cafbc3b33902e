/**
 * Installing the client elsewhere (issue 20 item 9): `npm pack` of this repository, installed into a
 * fresh project on the same machine, answers `import { Spool } from 'spool-broker'` and runs its
 * `spool` bin against a real broker.
 *
 * Offline: `npm install <tarball> --offline` would need the registry's package documents to pick
 * versions, which npm's cache does not keep. The fresh project gets a lockfile instead: the
 * tarball, then this repository's locked production packages (same versions, same integrity), so
 * `npm ci --offline` takes every tarball from the cache that this repository's `npm ci` filled.
 * Install scripts are skipped: the client needs no native build (better-sqlite3 is the broker's).
 * For the embedded broker (`spool-broker/broker`) the test copies this repository's built
 * better-sqlite3 addon in, which is what its install script would have built.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type TestBroker } from './broker/support/broker.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
let broker: TestBroker;
let dir: string;

beforeAll(async () => {
  broker = await startBroker({ flush: 'never' });
  dir = await mkdtemp(join(tmpdir(), 'spool-pack-'));
});
afterAll(async () => {
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

interface LockEntry {
  dev?: boolean;
  [field: string]: unknown;
}

async function writeFreshProject(app: string, tarballName: string): Promise<void> {
  const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
  const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const dependencies = { 'spool-broker': `file:${tarballName}` };
  const packages: Record<string, unknown> = {
    '': { name: 'app', dependencies },
    'node_modules/spool-broker': { version: manifest.version, resolved: `file:${tarballName}`, dependencies: manifest.dependencies, engines: manifest.engines, bin: manifest.bin },
  };
  for (const [path, entry] of Object.entries(lock.packages)) if (path !== '' && !entry.dev) packages[path] = entry;
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', dependencies }));
  await writeFile(join(app, 'package-lock.json'), JSON.stringify({ name: 'app', lockfileVersion: 3, requires: true, packages }));
}

describe('the packed package in a fresh project', () => {
  it('installs offline and serves `import { Spool } from "spool-broker"`, the spool bin and `spool-broker/broker`', async () => {
    const packed = await run('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: ROOT });
    const tarball = join(dir, packed.stdout.trim().split('\n').pop()!);
    const app = join(dir, 'app');
    await mkdir(app);
    await writeFreshProject(app, basename(tarball));
    await rename(tarball, join(app, basename(tarball)));
    await run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: app, timeout: 240_000 });
    await writeFile(
      join(app, 'main.js'),
      [
        "import { Spool } from 'spool-broker';",
        'const spool = new Spool({ url: process.env.SPOOL_URL });',
        "await spool.admin.createTopic({ name: 'elsewhere' });",
        "const [sent] = await spool.producer().send('elsewhere', [{ key: 'k', value: { from: 'app' } }]);",
        "const consumer = spool.consumer({ topics: ['elsewhere'], from: 'earliest' });",
        'for await (const message of consumer) { console.log(JSON.stringify({ offset: sent.offset, value: message.value })); break; }',
        'await spool.close();',
      ].join('\n'),
    );
    const env = { ...process.env, SPOOL_URL: broker.url };
    const printed = await run(process.execPath, ['main.js'], { cwd: app, env, timeout: 60_000 });
    expect(JSON.parse(printed.stdout)).toEqual({ offset: 0, value: { from: 'app' } });
    const listed = await run(join(app, 'node_modules', '.bin', 'spool'), ['topics', 'list'], { cwd: app, env, timeout: 60_000 });
    expect(listed.stdout).toMatch(/elsewhere\s+1/);

    await cp(join(ROOT, 'node_modules', 'better-sqlite3', 'build'), join(app, 'node_modules', 'better-sqlite3', 'build'), { recursive: true });
    await writeFile(
      join(app, 'embedded.js'),
      [
        "import { startBroker } from 'spool-broker/broker';",
        'const broker = await startBroker();',
        'const spool = broker.client();',
        "await spool.admin.createTopic({ name: 'inside' });",
        "const [sent] = await spool.producer().send('inside', [{ value: 'here' }]);",
        'await broker.close();',
        'console.log(JSON.stringify({ offset: sent.offset, kafka: broker.kafkaBootstrap !== null }));',
      ].join('\n'),
    );
    const embedded = await run(process.execPath, ['embedded.js'], { cwd: app, timeout: 60_000 });
    expect(JSON.parse(embedded.stdout)).toEqual({ offset: 0, kafka: true });
  }, 300_000);
});
