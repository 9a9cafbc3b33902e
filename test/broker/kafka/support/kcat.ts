/** Runs the real kcat (Debian package `kcat`) against a test broker's Kafka listener. */
import { spawn } from 'node:child_process';

export interface KcatRun {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export function kcat(args: string[], input?: Buffer | string): Promise<KcatRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
    child.stdin.end(input ?? '');
  });
}
