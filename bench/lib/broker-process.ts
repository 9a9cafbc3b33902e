/**
 * Starts the compiled broker as a child process (its own event loop and core, as in production) on
 * a free port with a temporary data directory, and stops it afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Compiled, this file is dist/bench/lib/: the broker is beside it. Run from source (vitest), the
// compiled broker is in dist/ (npm test builds first), because a child process runs no TS loader.
const MAIN = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../dist/broker/main.js' : '../../broker/main.js', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface BrokerProcess {
  url: string;
  pid: number;
  dataDir: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * `kafkaPort`: the Kafka listener's port (off by default: benches must not take 9092).
 * `nodeArgs`: flags for the broker's node (`--cpu-prof`, which NODE_OPTIONS refuses); by default
 * SPOOL_BENCH_NODE_ARGS, split on spaces, so any bench can profile its broker.
 */
export async function startBrokerProcess(
  options: { flush?: string; dataDir?: string; port?: number; kafkaPort?: number; extraEnv?: NodeJS.ProcessEnv; nodeArgs?: string[]; startTimeoutMs?: number } = {},
): Promise<BrokerProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'spool-bench-'));
  // A fixed port lets a restarted broker keep its address, as clients expect of a real restart.
  const port = options.port ?? (await freePort());
  const nodeArgs = options.nodeArgs ?? (process.env.SPOOL_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, MAIN, '--port', String(port), '--data-dir', dataDir, '--flush', options.flush ?? 'always', '--log-level', 'warn', '--kafka-port', String(options.kafkaPort ?? 0)], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, ...options.extraEnv },
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
  for (;;) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      if (Date.now() > deadline) throw new Error('broker did not start');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    pid: child.pid!,
    dataDir,
    child,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resident memory of a process in bytes (Linux /proc), or 0 where unavailable. */
export async function residentBytes(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
