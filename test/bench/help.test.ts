/**
 * "--help everywhere" for the benches (bench/lib/usage.ts): every entry script package.json runs
 * (`node dist/bench/X.js`, compiled by `npm test`) answers --help and -h with its usage and exits 0,
 * before it starts a broker, a peer server or a load. The list comes from package.json, so a new
 * bench is checked as soon as it gets its npm script, and a bench/*.ts without one fails here.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const npmScripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
/** Each bench's entry script (dist/bench/<name>.js) and the npm script that runs it. */
const BENCHES = new Map<string, string>();
for (const [npmName, command] of Object.entries(npmScripts)) {
  for (const match of command.matchAll(/\bdist\/bench\/([\w-]+)\.js\b/g)) if (!BENCHES.has(match[1]!)) BENCHES.set(match[1]!, npmName);
}
/** A script that ignores --help starts a run of minutes: past this it is killed, with its children. */
const HANG_MS = 30_000;

// Every bench's broker, peer server and data lives in a fresh directory under the OS temp dir:
// with TMPDIR pointed at an empty one, anything a script started leaves an entry there.
const scratch = mkdtempSync(join(tmpdir(), 'spool-bench-help-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface HelpRun {
  code: number | null;
  stdout: string;
  stderr: string;
  leftInTmp: string[];
}

function runBench(name: string, flag: string): Promise<HelpRun> {
  const tmp = mkdtempSync(join(scratch, `${name}-`));
  return new Promise((resolve, reject) => {
    // Its own process group, so a script that started a broker is stopped with it.
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'bench', `${name}.js`), flag], { cwd: ROOT, env: { ...process.env, TMPDIR: tmp }, detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const hang = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the group ended between the timer and its close event
      }
    }, HANG_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(hang);
      resolve({ code, stdout, stderr, leftInTmp: readdirSync(tmp) });
    });
  });
}

describe('bench scripts answer --help', () => {
  it('finds every bench/*.ts entry script among package.json scripts', () => {
    const entries = readdirSync(join(ROOT, 'bench')).filter((file) => file.endsWith('.ts')).map((file) => file.slice(0, -3));
    expect([...BENCHES.keys()].sort()).toEqual(entries.sort());
  });

  it.each([...BENCHES].sort())('%s --help prints its usage and exits 0, starting nothing', async (name, npmName) => {
    const run = await runBench(name, '--help');
    expect(run.stderr).toBe('');
    expect(run.stdout.split('\n')[0]).toMatch(new RegExp(`^Usage: npm run ${npmName} `));
    expect(run.stdout).toContain('-h, --help');
    expect(run.leftInTmp).toEqual([]);
    expect(run.code).toBe(0);
  }, HANG_MS + 10_000);

  // -h goes through the same helper: one script on parseArgs (which throws on unknown flags) and
  // one that reads its flags by hand (which ignored --help and started its run).
  it.each(['torture-crash', 'http'])('%s -h is --help', async (name) => {
    const [short, long] = [await runBench(name, '-h'), await runBench(name, '--help')];
    expect(short).toEqual(long);
  }, 2 * HANG_MS + 10_000);
});
