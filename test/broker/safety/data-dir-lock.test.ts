/**
 * Issue 23.2: one broker per data directory. Two brokers on one directory both acknowledged the
 * same offsets, and a restart lost one side's records.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { call, startBroker, type TestBroker } from '../support/broker.js';

const MAIN = join(import.meta.dirname, '../../../dist/broker/main.js');
const CLI = join(import.meta.dirname, '../../../dist/client/cli/main.js');

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

/** `spool serve` as a child process on a free port; resolves with its URL once it answers. */
async function serveProcess(dataDir: string) {
  const child = spawn(process.execPath, [MAIN, '--port', '0', '--kafka-port', '0', '--data-dir', dataDir, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanup.push(async () => child.kill('SIGKILL'));
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await Promise.race([
    new Promise<string>((resolve) => {
      const poll = setInterval(() => {
        const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
        if (match) {
          clearInterval(poll);
          resolve(match[1]!);
        }
      }, 20);
      child.once('exit', () => clearInterval(poll));
    }),
    exited.then(() => null),
  ]);
  return { child, url, exited, output: () => output };
}

describe('the data directory lock', () => {
  it('refuses a second broker in the same process at once, naming the holder; the first keeps serving', async () => {
    const first = await startBroker();
    cleanup.push(() => first.close());
    const second = startBroker({ dataDir: first.dataDir });
    await expect(second).rejects.toMatchObject({ code: 'SPOOL_ERR_DATA_DIR_LOCKED', message: expect.stringContaining(`pid ${process.pid}`) });
    await call(`${first.url}/v1/topics`, { method: 'POST', json: { name: 't', partitions: 1 } });
    expect((await call(`${first.url}/v1/topics/t/records`, { method: 'POST', json: { records: [{ value: 1 }] } })).body.records[0].offset).toBe(0);
  });

  it('is let go on close, and by a broker that failed to start', async () => {
    const first = await startBroker();
    const dataDir = first.dataDir;
    await first.close(false);
    const again = await startBroker({ dataDir });
    cleanup.push(() => again.close());
    expect((await call(`${again.url}/health`)).status).toBe(200);
  });

  it('makes a second spool serve exit at once with SPOOL_ERR_DATA_DIR_LOCKED; a SIGKILLed holder never blocks the restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'spool-lock-'));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const first = await serveProcess(dataDir);
    expect(first.url).not.toBeNull();
    await call(`${first.url}/v1/topics`, { method: 'POST', json: { name: 't', partitions: 1 } });
    await call(`${first.url}/v1/topics/t/records`, { method: 'POST', json: { records: [{ value: 1 }, { value: 2 }, { value: 3 }] } });

    const second = await serveProcess(dataDir);
    expect(second.url).toBeNull();
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain('SPOOL_ERR_DATA_DIR_LOCKED');
    expect(second.output()).toContain(`pid ${first.child.pid}`);
    // The first broker is unharmed: its next offset is still 3.
    expect((await call(`${first.url}/v1/topics/t/records`, { method: 'POST', json: { records: [{ value: 4 }] } })).body.records[0].offset).toBe(3);

    first.child.kill('SIGKILL');
    await first.exited;
    const third = await serveProcess(dataDir);
    expect(third.url).not.toBeNull();
    expect((await call(`${third.url}/v1/topics/t/partitions/0/records?offset=0`)).body.records.map((r: { value: number }) => r.value)).toEqual([1, 2, 3, 4]);
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
  });

  it('spool check says so on a live directory, and spool check --repair refuses it', async () => {
    const broker = await startBroker();
    cleanup.push(() => broker.close());
    const check = spawnSync(process.execPath, [CLI, 'check', '--data-dir', broker.dataDir, '--no-progress'], { encoding: 'utf8' });
    expect(check.stderr).toMatch(/in use by spool serve \(pid \d+/);
    const repair = spawnSync(process.execPath, [CLI, 'check', '--data-dir', broker.dataDir, '--repair', '--no-progress'], { encoding: 'utf8' });
    expect(repair.status).toBe(2);
    expect(repair.stderr).toContain('SPOOL_ERR_DATA_DIR_LOCKED');
  });
});
