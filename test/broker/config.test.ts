/**
 * broker/config.ts: one table of settings, each a flag, a SPOOL_* variable and a config-file key,
 * validated once into a frozen object; and `spool serve` (the compiled binary) built from it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildBroker } from '../../broker/app.js';
import { type SettingName, loadBrokerConfig, settingKeys, settingNames, settingSchema } from '../../broker/config.js';
import { brokerLimits } from '../../broker/limits.js';
import { call } from './support/broker.js';

const BIN = join(import.meta.dirname, '../../dist/client/cli/main.js');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spool-config-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

/** A valid value of a setting that differs from its default. */
function sampleOf(schema: TSchema): unknown {
  if (Array.isArray(schema.examples)) return schema.examples[0];
  if (schema.type === 'integer') return schema.minimum === schema.default ? schema.minimum + 1 : schema.minimum;
  if (Array.isArray(schema.anyOf)) return schema.anyOf.map((option: TSchema) => option.const).find((value: unknown) => value !== schema.default);
  if (schema.format === 'spool-flush-policy') return 'interval:250';
  if (schema.type === 'boolean') return !schema.default;
  return `${schema.default}-other`;
}

async function configFile(content: string): Promise<string> {
  const path = join(dir, `spool-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(path, content);
  return path;
}

function rejection(load: () => unknown): { code: string; message: string } {
  try {
    load();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('the config was accepted');
}

describe('loadBrokerConfig', () => {
  it('gives the documented defaults, frozen, with an absolute data directory', () => {
    const config = loadBrokerConfig({});
    expect(config).toMatchObject({ host: '127.0.0.1', port: 9292, flush: 'always', logLevel: 'info', cleanerIntervalMs: 300_000, bodyBytesMax: brokerLimits.bodyBytesMax });
    expect(isAbsolute(config.dataDir)).toBe(true);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every setting from its flag, its environment variable and its config-file key', async () => {
    for (const key of settingKeys) {
      const sample = sampleOf(settingSchema(key));
      const { env } = settingNames(key);
      const expected = key === 'dataDir' ? join(process.cwd(), String(sample)) : sample;
      expect(loadBrokerConfig({ flags: { [key]: String(sample) } })[key], `flag of ${key}`).toEqual(expected);
      expect(loadBrokerConfig({ env: { [env]: String(sample) } })[key], `${env}`).toEqual(expected);
      const file = await configFile(JSON.stringify({ [key]: sample }));
      expect(loadBrokerConfig({ configFile: file })[key], `config key ${key}`).toEqual(expected);
    }
  });

  it('prefers code values, then flags, then the environment, then the file, then the default', async () => {
    const file = await configFile('{"port": 1001}');
    const env = { SPOOL_PORT: '1002' };
    expect(loadBrokerConfig({ values: { port: 1004 }, flags: { port: '1003' }, env, configFile: file }).port).toBe(1004);
    expect(loadBrokerConfig({ flags: { port: '1003' }, env, configFile: file }).port).toBe(1003);
    expect(loadBrokerConfig({ env, configFile: file }).port).toBe(1002);
    expect(loadBrokerConfig({ env: { SPOOL_PORT: '' }, configFile: file }).port).toBe(1001);
    expect(loadBrokerConfig({ configFile: await configFile('{}') }).port).toBe(9292);
  });

  const refused: Array<[string, Parameters<typeof loadBrokerConfig>[0], RegExp]> = [
    ['a port past 65535', { env: { SPOOL_PORT: '70000' } }, /^SPOOL_PORT must be an integer from 0 to 65535, got "70000"$/],
    ['a negative port', { flags: { port: '-1' } }, /^--port must be an integer from 0 to 65535/],
    ['an exponent', { flags: { port: '1e3' } }, /^--port must be an integer/],
    ['hexadecimal', { flags: { port: '0x10' } }, /^--port must be an integer/],
    ['trailing letters', { flags: { port: '80abc' } }, /^--port must be an integer/],
    ['an empty flag', { flags: { port: '' } }, /^--port must be an integer/],
    ['2^53+1', { flags: { bodyBytesMax: '9007199254740993' } }, /^--body-bytes-max must be an integer from 1024 to 1073741824/],
    ['a timer past 2^31-1 ms', { env: { SPOOL_CLEANER_INTERVAL_MS: String(2 ** 31) } }, /^SPOOL_CLEANER_INTERVAL_MS must be an integer from 10 to 2147483647/],
    ['a fraction', { values: { cleanerIntervalMs: 10.5 } }, /^cleanerIntervalMs must be an integer/],
    ['an interval of 0', { flags: { flush: 'interval:0' } }, /^--flush must be always, never or interval:<ms>/],
    ['a negative interval', { env: { SPOOL_FLUSH: 'interval:-5' } }, /^SPOOL_FLUSH must be always, never or interval:<ms>/],
    ['a typo of a policy', { flags: { flush: 'alway' } }, /got "alway"$/],
    ['an unknown log level', { flags: { logLevel: 'verbose' } }, /^--log-level must be one of fatal, error, warn, info, debug, trace, silent/],
    ['an empty host', { values: { host: '' } }, /^host must be a non-empty string/],
    ['an origin with a path', { flags: { corsOrigin: 'https://app.test/' } }, /^--cors-origin must be empty, \* or comma-separated origins/],
    ['an origin of another scheme', { env: { SPOOL_CORS_ORIGIN: 'ftp://app.test' } }, /^SPOOL_CORS_ORIGIN must be empty, \*/],
    ['an empty origin in a list', { flags: { corsOrigin: 'https://a.test,,https://b.test' } }, /^--cors-origin must be/],
    ['an origin with a space', { flags: { corsOrigin: 'https://a.test, https://b.test' } }, /^--cors-origin must be/],
    ['a wildcard inside a list', { flags: { corsOrigin: '*,https://a.test' } }, /^--cors-origin must be/],
  ];
  it.each(refused)('refuses %s, naming where it came from and what is accepted', (_case, sources, message) => {
    const error = rejection(() => loadBrokerConfig(sources));
    expect(error.code).toBe('SPOOL_ERR_INVALID_CONFIG');
    expect(error.message).toMatch(message);
  });

  it('refuses a file value of the wrong type rather than converting it', () => {
    const error = rejection(() => loadBrokerConfig({ configFile: configFileSync('{"port": "9292"}') }));
    expect(error.message).toMatch(/: port must be an integer from 0 to 65535, got "9292"$/);
  });

  it('refuses an unknown config-file key, listing the known ones', async () => {
    const file = await configFile('{"prot": 9000}');
    const error = rejection(() => loadBrokerConfig({ configFile: file }));
    expect(error.code).toBe('SPOOL_ERR_INVALID_CONFIG');
    expect(error.message).toContain('unknown key "prot"');
    for (const key of settingKeys) expect(error.message).toContain(key);
    expect(rejection(() => loadBrokerConfig({ configFile: configFileSync('{"__proto__": {"port": 1}}') })).message).toContain('unknown key "__proto__"');
  });

  it.each([
    ['not JSON', '{port: 1}', /is not JSON/],
    ['an array', '[1]', /must hold a JSON object/],
    ['null', 'null', /must hold a JSON object/],
  ])('refuses a config file that is %s', (_case, content, message) => {
    const error = rejection(() => loadBrokerConfig({ configFile: configFileSync(content) }));
    expect(error.code).toBe('SPOOL_ERR_INVALID_CONFIG');
    expect(error.message).toMatch(message);
  });

  it('refuses a config file that does not exist, naming it', () => {
    const error = rejection(() => loadBrokerConfig({ configFile: join(dir, 'missing.json') }));
    expect(error.message).toContain('missing.json');
  });

  it('passes the tuned limits to the broker', async () => {
    const config = loadBrokerConfig({ values: { port: 0, dataDir: join(dir, 'limits'), logLevel: 'silent', recordsPerRequestMax: 2 } });
    const broker = await buildBroker({ config, logger: false });
    try {
      const { url } = await broker.listen();
      await call(`${url}/v1/topics`, { method: 'POST', json: { name: 't' } });
      const answer = await call(`${url}/v1/topics/t/records`, { method: 'POST', json: { records: [{ value: 1 }, { value: 2 }, { value: 3 }] } });
      expect(answer.status).toBe(400);
      expect(answer.body.error.message).toContain('records may hold at most 2 items');
      expect((await call(`${url}/v1/topics/t/records`, { method: 'POST', json: { records: [{ value: 1 }, { value: 2 }] } })).status).toBe(200);
    } finally {
      await broker.close();
    }
  });
});

function configFileSync(content: string): string {
  const path = join(dir, `sync-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, content);
  return path;
}

describe('spool serve (the compiled binary)', () => {
  const documented = readFileSync(join(import.meta.dirname, '../../docs/configuration.md'), 'utf8');

  it('lists every setting with its flag, environment variable and default in --help and in docs/configuration.md', () => {
    const help = spawnSync(process.execPath, [BIN, 'serve', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    const text = help.stdout.replace(/\s+/g, ' ');
    for (const key of settingKeys as SettingName[]) {
      const { flag, env } = settingNames(key);
      const fallback = settingSchema(key).default;
      expect(text).toMatch(new RegExp(`${flag} [<[]`)); // <value>, or [true|false] for a boolean
      expect(text).toContain(`(env ${env}, default ${JSON.stringify(fallback)})`);
      const row = documented.split('\n').find((line) => line.startsWith(`| \`${key}\` |`));
      expect(row, `docs row of ${key}`).toBeDefined();
      expect(row).toContain(`${flag}\``);
      expect(row).toContain(`\`${env}\``);
      expect(row).toContain(fallback === '' ? '| (none) |' : `\`${fallback}\``);
    }
  });

  it('starts from a config file, an environment variable and a flag together', async () => {
    const dataDir = join(dir, 'served');
    const file = await configFile(JSON.stringify({ dataDir, logLevel: 'warn', port: 1 }));
    const child = spawn(process.execPath, [BIN, 'serve', '--config', file, '--log-level', 'info'], { env: { ...process.env, SPOOL_PORT: '0', SPOOL_KAFKA_PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    try {
      // Port 0 from the environment beats the file's 1; the flag's info level prints the address.
      const url = await vi.waitFor(() => {
        const match = /listening on (http:\/\/[\d.:]+)/.exec(output);
        if (!match) throw new Error('not listening yet');
        return match[1]!;
      }, { timeout: 15_000, interval: 50 });
      expect((await call(`${url}/health`)).status).toBe(200);
      expect(output).toContain(dataDir);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('refuses to start on a bad setting, naming it, with the error code', () => {
    const run = spawnSync(process.execPath, [BIN, 'serve'], { encoding: 'utf8', env: { ...process.env, SPOOL_PORT: '70000' } });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('SPOOL_ERR_INVALID_CONFIG: SPOOL_PORT must be an integer from 0 to 65535, got "70000"');
  });
});
