/**
 * A peer server as a child process on a free loopback port with a temporary data directory:
 * started, waited for until it answers, stopped with SIGTERM (SIGKILL after a grace period), and
 * its directory removed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../lib/broker-process.js';

export interface ServerProcess {
  port: number;
  pid: number;
  dataDir: string;
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 5000;
const START_TIMEOUT_MS = 15_000;

export async function startServerProcess(options: {
  name: string;
  command: string;
  args: (port: number, dataDir: string) => string[];
  ready: (port: number) => Promise<boolean>;
}): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), `spool-compare-${options.name}-`));
  const port = await freePort();
  const child: ChildProcess = spawn(options.command, options.args(port, dataDir), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanup = () => rmSync(dataDir, { recursive: true, force: true });
  const started = Date.now();
  while (!(await options.ready(port).catch(() => false))) {
    if (child.exitCode !== null || Date.now() - started > START_TIMEOUT_MS) {
      child.kill('SIGKILL');
      cleanup();
      throw new Error(`${options.name} did not start on port ${port}: ${stderr.trim() || `exit ${child.exitCode}`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    pid: child.pid!,
    dataDir,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(killer);
      }
      cleanup();
    },
  };
}

/** True once a TCP server on the loopback port answers `send` with bytes starting `expect`. */
export async function answersOnPort(port: number, send: string | null, expect: string): Promise<boolean> {
  const { createConnection } = await import('node:net');
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => send !== null && socket.write(send));
    socket.once('data', (data) => done(data.toString('latin1').startsWith(expect)));
  });
}
