/**
 * The `spool` CLI as a shell user meets it: a child process per command (the compiled bin, which
 * `npm test` builds), against a real broker, checking output and exit statuses.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forEachBounded } from '../../storage/concurrency.js';
import { call, startBroker, type TestBroker } from '../broker/support/broker.js';
import { type CliRun, runSpool, SPOOL_BIN } from './support/cli.js';

const BIN = SPOOL_BIN;
let broker: TestBroker;

beforeAll(async () => {
  broker = await startBroker({ flush: 'never' });
});
afterAll(async () => broker.close());

type Run = CliRun;
const spool = (args: string[], input?: string): Promise<Run> => runSpool(broker.url, args, input);

describe('spool CLI', () => {
  it('produces lines from stdin and prints them back as values', async () => {
    const produced = await spool(['produce', 't'], 'a\nb\nc\n');
    expect(produced.code).toBe(0);
    expect(produced.stderr).toContain('produced 3 records');
    const consumed = await spool(['consume', 't', '--from', 'earliest', '--max', '3', '--format', 'value']);
    expect(consumed).toMatchObject({ code: 0, stdout: 'a\nb\nc\n' });
  });

  it('prints JSON lines, stops at the end without --follow, and starts at an offset', async () => {
    const all = await spool(['consume', 't']);
    expect(all.code).toBe(0);
    const lines = all.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((line) => [line.offset, line.value])).toEqual([[0, 'a'], [1, 'b'], [2, 'c']]);
    const fromOne = await spool(['consume', 't', '--from', '1', '--format', 'value']);
    expect(fromOne.stdout).toBe('b\nc\n');
  });

  it('keys JSON lines by a field, so equal keys share a partition', async () => {
    const input = ['{"user":"ann","n":1}', '{"user":"bob","n":2}', '{"user":"ann","n":3}'].join('\n');
    expect((await spool(['produce', 'keyed', '--key-field', 'user', '--partitions', '4'], input)).code).toBe(0);
    const lines = (await spool(['consume', 'keyed'])).stdout.trim().split('\n').map((line) => JSON.parse(line));
    const ann = lines.filter((line) => line.key === 'ann');
    expect(ann.map((line) => line.value.n).sort()).toEqual([1, 3]);
    expect(new Set(ann.map((line) => line.partition)).size).toBe(1);
  });

  it('consumes as a group member: a second run prints only what the first did not', async () => {
    await spool(['produce', 'jobs'], '1\n2\n3\n4\n');
    const first = await spool(['consume', 'jobs', '--group', 'workers', '--max', '2', '--format', 'value']);
    expect(first.stdout).toBe('1\n2\n');
    const second = await spool(['consume', 'jobs', '--group', 'workers', '--format', 'value']);
    expect(second.stdout).toBe('3\n4\n');
    const lag = await spool(['groups', 'lag', 'workers', '--json']);
    expect(JSON.parse(lag.stdout).totalLag).toBe(0);
    const reset = await spool(['groups', 'reset', 'workers', '--topic', 'jobs', '--to', 'earliest']);
    expect(reset.code).toBe(0);
    expect((await spool(['consume', 'jobs', '--group', 'workers', '--format', 'value'])).stdout).toBe('1\n2\n3\n4\n');
    expect((await spool(['groups', 'list'])).stdout).toMatch(/workers/);
  });

  it('manages topics', async () => {
    expect((await spool(['topics', 'create', 'made', '--partitions', '3', '--config', 'retentionMs=60000'])).code).toBe(0);
    expect((await spool(['topics', 'list'])).stdout).toMatch(/made\s+3/);
    const described = JSON.parse((await spool(['topics', 'describe', 'made', '--json'])).stdout);
    expect(described.config.retentionMs).toBe(60000);
    expect(JSON.parse((await spool(['topics', 'config', 'made', 'retentionBytes=1048576'])).stdout).retentionBytes).toBe(1048576);
    const cleaned = await spool(['topics', 'clean', 'made']);
    expect(cleaned.code).toBe(0);
    expect(cleaned.stdout).toMatch(/^partition\s+segmentsDeleted\s+logStartOffsetBefore\s+logStartOffset\s+recordsDropped\s+bytesFreed\s+sealedSegments\n/);
    expect(JSON.parse((await spool(['topics', 'clean', 'made', '--json'])).stdout).partitions).toHaveLength(3);
    expect((await spool(['topics', 'delete', 'made'])).code).toBe(0);
  });

  it('exits 1 with the broker\'s error code, and 2 for bad usage', async () => {
    const missing = await spool(['consume', 'no-such-topic']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('SPOOL_ERR_TOPIC_NOT_FOUND');
    const invalid = await spool(['topics', 'create', 'bad/name']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('SPOOL_ERR_');
    expect((await spool(['consume', 't', '--from', 'yesterday-ish'])).code).toBe(2);
    expect((await spool(['no-such-verb'])).code).toBe(2);
    const unreachable = await new Promise<Run>((resolve) => {
      const child = spawn(process.execPath, [BIN, '--url', 'http://127.0.0.1:1', 'topics', 'list']);
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('close', (code) => resolve({ code: code ?? -1, stdout: '', stderr }));
    });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('SPOOL_ERR_NETWORK');
  });

  it('works a queue: create, receive, ack, describe', async () => {
    await spool(['produce', 'tasks'], 'wash\ndry\nfold\n');
    expect((await spool(['queue', 'create', 'tasks', 'chores', '--visibility-ms', '60000'])).code).toBe(0);
    const received = await spool(['queue', 'receive', 'tasks', 'chores', '--max', '2']);
    const messages = received.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(messages.map((message) => message.value)).toEqual(['wash', 'dry']);
    const acked = await spool(['queue', 'ack', 'tasks', 'chores', ...messages.map((message) => message.receipt)]);
    expect(acked.code).toBe(0);
    const again = await spool(['queue', 'ack', 'tasks', 'chores', messages[0].receipt]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('SPOOL_ERR_RECEIPT_EXPIRED');
    const described = JSON.parse((await spool(['queue', 'describe', 'tasks', 'chores'])).stdout);
    expect(described).toMatchObject({ available: 1, inFlight: 0 });
  });

  it('redrives a queue\'s dead letters, dry run first', async () => {
    await spool(['produce', 'errands'], 'post\n');
    expect((await spool(['queue', 'create', 'errands', 'runners'])).code).toBe(0);
    const [message] = (await spool(['queue', 'receive', 'errands', 'runners'])).stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect((await spool(['queue', 'reject', 'errands', 'runners', message.receipt, '--reason', 'closed'])).code).toBe(0);
    const preview = await spool(['queue', 'redrive', 'errands', 'runners', '--dry-run']);
    expect(preview.code).toBe(0);
    expect(JSON.parse(preview.stdout)).toMatchObject({ originalOffset: 0, reason: 'closed' });
    expect(preview.stderr).toContain('would redrive 1 dead letter(s) from errands.dlq');
    const moved = await spool(['queue', 'redrive', 'errands', 'runners']);
    expect(JSON.parse(moved.stdout)).toMatchObject({ originalOffset: 0, offset: 1 });
    const [again] = (await spool(['queue', 'receive', 'errands', 'runners'])).stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(again).toMatchObject({ offset: 1, value: 'post', deliveryCount: 1 });
  });

  it('checks a data directory', async () => {
    const check = await spool(['check', '--data-dir', broker.dataDir]);
    expect(check.code).toBe(0);
    expect(check.stderr).toContain('no damage found');
    const report = JSON.parse((await spool(['check', '--data-dir', broker.dataDir, '--json'])).stdout);
    expect(report.batches).toBeGreaterThan(0);
    expect(report.problems).toEqual([]);
  });

  // The verbs are found by walking the help itself (each "Commands:" section), not from a hand list
  // that a new verb could be missing from; four processes at a time keep it short on a busy machine.
  it('has --help on every verb', { timeout: 180_000 }, async () => {
    const seen: string[] = [];
    const visit = async (verb: string[]): Promise<void> => {
      const help = await spool([...verb, '--help']);
      expect(help.code, verb.join(' ')).toBe(0);
      expect(help.stdout, verb.join(' ')).toContain('Usage: spool');
      seen.push(verb.join(' '));
      const section = help.stdout.split(/^Commands:$/m)[1]?.split(/\n\s*\n/)[0] ?? '';
      const subverbs = [...section.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((match) => match[1]!).filter((name) => name !== 'help');
      await forEachBounded(subverbs, 4, (name) => visit([...verb, name]));
    };
    await visit([]);
    for (const verb of ['serve', 'topics create', 'groups reset', 'queue redrive', 'streams append', 'users add', 'tokens create', 'acl add', 'check']) expect(seen).toContain(verb);
  });
});

describe('spool check', () => {
  it('fails with exit status 2 on a missing or non-data directory, saying why', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'spool-not-data-'));
    try {
      writeFileSync(join(scratch, 'notes.txt'), 'hello');
      for (const [dir, why] of [[join(scratch, 'typo'), 'does not exist'], [scratch, 'no topics/ folder'], [join(scratch, 'notes.txt'), 'not a directory']] as const) {
        for (const extra of [[], ['--repair']]) {
          const run = await spool(['check', '--data-dir', dir, ...extra]);
          expect(run.code, `${dir} ${extra.join(' ')}`).toBe(2);
          expect(run.stderr).toContain('SPOOL_ERR_NOT_A_DATA_DIR');
          expect(run.stderr).toContain(why);
          expect(run.stderr).not.toContain('no damage found');
        }
      }
      expect(readdirSync(scratch)).toEqual(['notes.txt']);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it('--repair cuts a damaged partition at its first damaged batch, prints the offsets lost, and the broker serves it again', async () => {
    let stopped = await startBroker({ flush: 'never' });
    const { dataDir } = stopped;
    try {
      expect((await call(`${stopped.url}/v1/topics`, { method: 'POST', json: { name: 'ledger', partitions: 1, config: { segmentBytes: 1024 } } })).status).toBe(201);
      for (let i = 0; i < 40; i++) {
        expect((await call(`${stopped.url}/v1/topics/ledger/records`, { method: 'POST', json: { records: [{ value: `entry ${i}`.padEnd(80, '.') }] } })).status).toBe(200);
      }
      await stopped.close(false);
      const dir = join(dataDir, 'topics', 'ledger', '0');
      const logs = readdirSync(dir).filter((name) => name.endsWith('.log')).sort();
      expect(logs.length).toBeGreaterThan(3);
      const damagedPath = join(dir, logs[1]!);
      const bytes = readFileSync(damagedPath);
      bytes[bytes.readInt32BE(8) + 12 + 70]! ^= 0xff; // a record byte of its second batch
      writeFileSync(damagedPath, bytes);
      const firstLost = Number(logs[1]!.slice(0, 20)) + 1;

      const check = await spool(['check', '--data-dir', dataDir]);
      expect(check.code).toBe(1);
      const repair = await spool(['check', '--data-dir', dataDir, '--repair']);
      expect(repair.code).toBe(0);
      expect(repair.stderr).toContain(`cut ledger/0 at ${logs[1]}`);
      expect(repair.stderr).toContain(`offsets ${firstLost}-39 lost`);
      expect(repair.stderr).toContain('no damage left');
      const quarantined = readdirSync(join(dataDir, 'quarantine', 'ledger', '0'));
      expect(quarantined).toHaveLength(1);
      expect(repair.stderr).toContain(join(dataDir, 'quarantine', 'ledger', '0', quarantined[0]!));
      expect((await spool(['check', '--data-dir', dataDir])).code).toBe(0);

      stopped = await startBroker({ flush: 'never', dataDir });
      const values: string[] = [];
      for (let offset = 0; offset < firstLost; ) {
        const fetched = await call(`${stopped.url}/v1/topics/ledger/partitions/0/records?offset=${offset}`);
        expect(fetched.status).toBe(200);
        expect(fetched.body.highWatermark).toBe(firstLost);
        values.push(...fetched.body.records.map((record: { value: string }) => record.value.replace(/\.+$/, '')));
        offset = fetched.body.nextOffset;
      }
      expect(values).toEqual(Array.from({ length: firstLost }, (_, i) => `entry ${i}`));
    } finally {
      await stopped.close();
    }
    expect(existsSync(dataDir)).toBe(false);
  });
});
