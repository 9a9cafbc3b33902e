/**
 * The real process: `node dist/broker/main.js` (what `npm start` runs, compiled by `npm test`'s
 * build step) on a free port, driven over HTTP, stopped with SIGTERM.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { call } from './support/broker.js';
import { freePort } from './support/free-port.js';

const MAIN = join(import.meta.dirname, '../../dist/broker/main.js');


async function waitForHealth(url: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`broker at ${url} did not become healthy`);
}

describe('spool serve as a process', () => {
  it('serves on SPOOL_PORT with SPOOL_DATA_DIR and exits 0 on SIGTERM after a clean shutdown', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'spool-serve-'));
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], { env: { ...process.env, SPOOL_PORT: String(port), SPOOL_DATA_DIR: dataDir, SPOOL_KAFKA_PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitForHealth(url);
      expect((await call(`${url}/v1/topics`, { method: 'POST', json: { name: 'served', partitions: 1 } })).status).toBe(201);
      expect((await call(`${url}/v1/topics/served/records`, { method: 'POST', json: { records: [{ value: 'kept' }] } })).status).toBe(200);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(existsSync(join(dataDir, 'topics.clean-shutdown'))).toBe(true);
      expect(existsSync(join(dataDir, 'spool.db'))).toBe(true);
      expect(output).toContain('listening');
    } finally {
      child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
