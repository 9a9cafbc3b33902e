/**
 * The `spool` binary in shell pipelines and with a user's typos: a closed stdout, a bad --url, a
 * --from past the end or negative, lines without a key separator, and progress of a known range.
 * Each runs the compiled bin as a child process, through a real pipe where the case is a pipe.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startBroker, type TestBroker } from '../../broker/support/broker.js';

const BIN = fileURLToPath(new URL('../../../dist/client/cli/main.js', import.meta.url));
const RECORDS = 20_000;
let broker: TestBroker;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a bash pipeline; `$SPOOL` is the binary. With pipefail the status is the last failing
 * stage's: spool's own, since the other stages (printf, seq, head) succeed.
 */
function pipeline(script: string, env: NodeJS.ProcessEnv = {}, stderrSoFar?: (text: string) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', script], {
      env: { ...process.env, SPOOL: `${process.execPath} ${BIN}`, SPOOL_URL: broker.url, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      stderrSoFar?.(stderr);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

beforeAll(async () => {
  broker = await startBroker({ flush: 'never' });
  // More than a pipe's 64 KiB buffer: `head` goes away while spool still writes.
  for (const partition of [0, 1]) {
    const produced = await pipeline(`seq 1 ${RECORDS / 2} | $SPOOL produce numbers --partitions 2 --partition ${partition}`);
    expect(produced.code).toBe(0);
  }
});
afterAll(async () => broker.close());

describe('a reader that goes away', () => {
  it('ends `consume | head -3` quietly with status 0', async () => {
    const run = await pipeline('$SPOOL consume numbers --partition 0 --format value | head -3');
    expect(run.stdout.split('\n').filter(Boolean)).toHaveLength(3);
    expect(run.stderr).not.toMatch(/EPIPE|Error|at /);
    expect(run.code).toBe(0);
  });

  it('ends a group member quietly too, leaving the group', async () => {
    const run = await pipeline('$SPOOL consume numbers --group heads --format value | head -1');
    expect(run.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const described = await pipeline('$SPOOL groups describe heads --json');
    const group = JSON.parse(described.stdout);
    expect(group.members).toEqual([]);
    // What could not be written stays uncommitted, for the group's next reader (what was in the
    // pipe's buffer when head left is lost to the pipe, as with any command).
    expect(group.totalLag).toBeGreaterThan(0);
  });

  it('ends `topics list` quietly when stdout is closed before it writes', async () => {
    const run = await new Promise<Run>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'topics', 'list'], { env: { ...process.env, SPOOL_URL: broker.url } });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('close', (code) => resolve({ code: code ?? -1, stdout: '', stderr }));
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });
});

describe('--url', () => {
  it.each([
    ['--url notaurl', {}, /--url.*notaurl.*http:\/\/127\.0\.0\.1:9292/],
    ['--url ftp://host:9292', {}, /must start with http:\/\/ or https:\/\//],
    ['--url "http://host:9292/?x=1"', {}, /takes no query/],
    ['', { SPOOL_URL: 'localhost:9292' }, /SPOOL_URL/],
  ])('refuses %s %j as bad usage, naming the flag and the expected form', async (flag, env, message) => {
    const run = await pipeline(`$SPOOL ${flag} topics list`, env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/Invalid URL$/m);
  });
});

describe('consume --from', () => {
  it.each(['-1', '9223372036854775808', '1e3', 'yesterday', '2026-13-45'])('refuses --from %s as bad usage', async (from) => {
    const run = await pipeline(`$SPOOL consume numbers --from ${from}`);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--from/);
    expect(run.stdout).toBe('');
  });

  it('says when --from is past the end, and prints nothing', async () => {
    const run = await pipeline(`$SPOOL consume numbers --partition 1 --from ${RECORDS}`);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/--from 20000 is past the end of numbers\/1 \(it ends at offset 10000\).*--follow waits/);
  });

  it('waits for an offset past the end with --follow, printing from there', async () => {
    await pipeline('printf "a\\nb\\n" | $SPOOL produce later');
    let waiting = '';
    const follower = pipeline('$SPOOL consume later --from 4 --follow --max 2 --format value', {}, (text) => (waiting = text));
    await vi.waitFor(() => expect(waiting).toContain('past the end of later/0 (it ends at offset 2): waiting for it'), { timeout: 15_000, interval: 50 });
    // Offsets 2-5 arrive while the consumer waits for 4: it prints 4 and 5 only.
    const produced = await pipeline('printf "c\\nd\\ne\\nf\\n" | $SPOOL produce later');
    expect(produced.code).toBe(0);
    const run = await follower;
    expect(run.stdout).toBe('e\nf\n');
    expect(run.code).toBe(0);
  });

  it('refuses a partition the topic does not have', async () => {
    const run = await pipeline('$SPOOL consume numbers --partition 7');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('topic numbers has no partition 7');
  });
});

describe('produce --key-separator', () => {
  it('stops at a line without the separator, naming the line, after sending the ones before', async () => {
    const run = await pipeline('printf "a:1\\nb:2\\n\\nc3\\nd:4\\n" | $SPOOL produce strict --key-separator :');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('line 4 has no key separator ":"');
    expect(run.stderr).toContain('produced 2 records');
    const lines = (await pipeline('$SPOOL consume strict')).stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((line) => [line.key, line.value])).toEqual([['a', '1'], ['b', '2']]);
  });

  it('produces such lines without a key with --missing-key none', async () => {
    const run = await pipeline('printf "a:1\\nc3\\nd:4\\n" | $SPOOL produce lenient --key-separator : --missing-key none');
    expect(run.code).toBe(0);
    const lines = (await pipeline('$SPOOL consume lenient')).stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((line) => [line.key, line.value])).toEqual([['a', '1'], [null, 'c3'], ['d', '4']]);
  });

  it('refuses an unknown --missing-key choice', async () => {
    expect((await pipeline('echo a | $SPOOL produce lenient --key-separator : --missing-key skip')).code).toBe(2);
  });
});

describe('progress', () => {
  it('shows records, records/s and the lag left while consuming a known range into a file', async () => {
    const run = await pipeline('$SPOOL consume numbers --progress > /dev/null');
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`100% \\| ${RECORDS}/${RECORDS} records \\| \\d+ records/s \\| lag 0`));
    const capped = await pipeline('$SPOOL consume numbers --max 10 --progress > /dev/null');
    expect(capped.stderr).toMatch(/100% \| 10\/10 records/);
  });

  it('shows none when stderr is not a terminal, unless asked', async () => {
    const run = await pipeline('$SPOOL consume numbers --max 5 > /dev/null');
    expect(run.stderr).toBe('');
  });

  it('shows bytes and records of a produced file', async () => {
    const file = join(broker.dataDir, 'lines.txt');
    await writeFile(file, 'x\ny\nz\n');
    const run = await pipeline(`$SPOOL produce fromfile --file ${file} --progress`);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/100% \| 6\/6 bytes \| 3 records/);
  });
});
