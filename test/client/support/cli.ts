/** Runs the compiled `spool` bin (which `npm test` builds) as a shell user would, against a broker. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const SPOOL_BIN = fileURLToPath(new URL('../../../dist/client/cli/main.js', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `env` adds to (or overrides) the environment: credentials, for the security verbs. */
export function runSpool(url: string, args: string[], input?: string, env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SPOOL_BIN, ...args], { env: { ...process.env, SPOOL_URL: url, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}
