/**
 * What an idle embedded broker does not load (issue 22: idle memory): undici (the client's HTTP
 * stack, loaded at a client's first request), Swagger (loaded at the first /docs request), the
 * Kafka protocol stack (loaded at the first Kafka connection) and prom-client (loaded at the first
 * /metrics scrape). A child process runs the compiled broker with a module hook that names every
 * ES module loaded, and names the CommonJS modules in require's cache (prom-client is one); each
 * of these is then loaded by its first use, and still works.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const HOOKS = `data:text/javascript,${encodeURIComponent("export async function load(url, context, next) { process.stderr.write('LOADED ' + url + '\\n'); return next(url, context); }")}`;
const LAZY = {
  undici: /\/node_modules\/undici\//,
  swagger: /\/node_modules\/@fastify\/swagger/,
  kafka: /\/dist\/broker\/kafka\/connection\.js$/,
  promClient: /\/node_modules\/prom-client\//,
};

const SCRIPT = `
  import { createRequire, register } from 'node:module';
  import { connect } from 'node:net';
  register(${JSON.stringify(HOOKS)});
  const commonJs = () => Object.keys(createRequire(import.meta.url).cache).map((path) => 'LOADED ' + path + '\\n').join('');
  const { startBroker } = await import(${JSON.stringify(join(ROOT, 'dist/broker/index.js'))});
  const broker = await startBroker();
  const spool = broker.client();
  await fetch(broker.url + '/v1/topics', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'idle', partitions: 1 }) });
  await new Promise((resolve) => setTimeout(resolve, 200));
  process.stderr.write(commonJs() + 'IDLE\\n');
  await spool.producer().send('idle', [{ value: 1 }]);
  const docs = await fetch(broker.url + '/docs/json').then((response) => response.json());
  const [host, port] = [broker.kafkaBootstrap.slice(0, broker.kafkaBootstrap.lastIndexOf(':')), Number(broker.kafkaBootstrap.split(':').pop())];
  await new Promise((resolve) => { const socket = connect(port, host, () => setTimeout(() => { socket.destroy(); resolve(); }, 200)); });
  const metrics = await fetch(broker.url + '/metrics').then((response) => response.text());
  process.stderr.write(commonJs());
  await broker.close();
  console.log(JSON.stringify({ paths: Object.keys(docs.paths).length, metrics }));
`;

describe('an idle embedded broker', () => {
  it('has not loaded undici, Swagger, the Kafka protocol stack or prom-client; each loads at its first use', () => {
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT], { encoding: 'utf8', timeout: 60_000 });
    expect(child.status, child.stderr.split('\n').filter((line) => !line.startsWith('LOADED')).join('\n')).toBe(0);
    const [idle, used] = child.stderr.split('IDLE\n') as [string, string];
    const loaded = (text: string) => Object.fromEntries(Object.entries(LAZY).map(([name, pattern]) => [name, text.split('\n').some((line) => pattern.test(line))]));
    expect(loaded(idle)).toEqual({ undici: false, swagger: false, kafka: false, promClient: false });
    expect(loaded(used)).toEqual({ undici: true, swagger: true, kafka: true, promClient: true });
    const { paths, metrics } = JSON.parse(child.stdout.trim());
    expect(paths).toBeGreaterThan(30);
    // The first scrape has everything recorded before prom-client was loaded.
    expect(metrics).toContain('spool_records_in_total{topic="idle"} 1');
    expect(metrics).toMatch(/^spool_fdatasync_duration_seconds_count [1-9]/m);
    expect(metrics).toContain('spool_process_process_cpu_seconds_total');
  });
});
