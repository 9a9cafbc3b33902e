/**
 * npm run bench:http-cost: the broker's fixed CPU cost per HTTP request, beside a bare fastify
 * route measured in the same run. The embedded broker and the bare fastify server run in this
 * process; a client in a child process sends N one-record produce requests (and, to the bare route,
 * N requests of the same body) one after the other over one keep-alive connection. This process's
 * CPU time over the run divided by N is the server's µs per request: robust to the machine's load,
 * which changes wall time, not CPU time. Rounds alternate (bare, broker, bare, broker...) and the
 * figures are medians. Flags: USAGE below (`--help` prints it).
 */
import { fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import { startBroker } from '../broker/index.js';
import { exitOnHelp } from './lib/usage.js';

const USAGE = `Usage: npm run bench:http-cost [-- options]
The broker's CPU per one-record produce request (embedded, this process), beside a bare fastify
route in the same rounds: median µs per request of server CPU.

  --requests N   requests per run (default 5000)
  --rounds N     bare/broker pairs (default 5)
  --against F    also a broker of another build (F: its dist/broker/index.js, e.g. main's built
                 into /tmp), measured in the same rounds: a before/after of a change`;
exitOnHelp(USAGE);

const numberFlag = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const requests = numberFlag('--requests', 5000);
const rounds = numberFlag('--rounds', 5);
const body = JSON.stringify({ records: [{ key: 'k', valueString: 'x'.repeat(100) }] });
const clientScript = fileURLToPath(new URL('./lib/sequential-client.js', import.meta.url));

interface Run {
  serverMicrosPerRequest: number;
  clientMicrosPerRequest: number;
}

/** One run: the server's CPU (this process) and the client's (its own report) per request. */
async function run(url: string): Promise<Run> {
  const child = fork(clientScript, [url, String(requests), body], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages: Array<Record<string, number>> = [];
  let wake: (() => void) | null = null;
  child.on('message', (message) => {
    messages.push(message as Record<string, number>);
    wake?.();
  });
  const next = async () => {
    while (messages.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return messages.shift()!;
  };
  await next(); // warmed up
  const cpu = process.cpuUsage();
  child.send('go');
  const done = await next();
  const used = process.cpuUsage(cpu);
  if (done.failures! > 0) throw new Error(`${done.failures} requests to ${url} failed`);
  await new Promise((resolve) => child.once('exit', resolve));
  return { serverMicrosPerRequest: (used.user + used.system) / requests, clientMicrosPerRequest: done.cpuMicros! / requests };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return (sorted[Math.floor((sorted.length - 1) / 2)]! + sorted[Math.ceil((sorted.length - 1) / 2)]!) / 2;
};

const bare = Fastify({ logger: false });
bare.post('/echo', async () => ({ ok: true }));
await bare.listen({ host: '127.0.0.1', port: 0 });
const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}/echo`;
const broker = await startBroker({ flush: 'never', kafka: false });
await fetch(`${broker.url}/v1/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench', partitions: 1 }) });
const produceUrl = `${broker.url}/v1/topics/bench/records`;
const againstAt = process.argv.indexOf('--against');
const other = againstAt > 0 ? await ((await import(pathToFileURL(process.argv[againstAt + 1]!).href)) as { startBroker: typeof startBroker }).startBroker({ flush: 'never', kafka: false }) : null;
if (other) await fetch(`${other.url}/v1/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench', partitions: 1 }) });

const bareRuns: Run[] = [];
const brokerRuns: Run[] = [];
const otherRuns: Run[] = [];
for (let round = 1; round <= rounds; round++) {
  bareRuns.push(await run(bareUrl));
  // The two builds swap places every round: neither always runs right after the bare route.
  const measureOther = async () => {
    if (other) otherRuns.push(await run(`${other.url}/v1/topics/bench/records`));
  };
  if (round % 2 === 0) await measureOther();
  brokerRuns.push(await run(produceUrl));
  if (round % 2 === 1) await measureOther();
  const [b, s, o] = [bareRuns.at(-1)!, brokerRuns.at(-1)!, otherRuns.at(-1)];
  const against = o ? `, --against ${o.serverMicrosPerRequest.toFixed(1)} µs/req` : '';
  console.log(`round ${round}: bare ${b.serverMicrosPerRequest.toFixed(1)} µs/req, spool ${s.serverMicrosPerRequest.toFixed(1)} µs/req (client ${s.clientMicrosPerRequest.toFixed(1)})${against}, load ${loadavg()[0]!.toFixed(2)}`);
}
await broker.close();
await other?.close();
await bare.close();
const bareMedian = median(bareRuns.map((r) => r.serverMicrosPerRequest));
const spoolMedian = median(brokerRuns.map((r) => r.serverMicrosPerRequest));
console.log(`\nserver CPU per request (median of ${rounds}, ${requests} requests each, one keep-alive connection):`);
console.log(`  bare fastify POST /echo        ${bareMedian.toFixed(1)} µs`);
console.log(`  spool produce of one record    ${spoolMedian.toFixed(1)} µs  (${(spoolMedian / bareMedian).toFixed(2)}x bare, +${(spoolMedian - bareMedian).toFixed(1)} µs)`);
if (other) {
  const otherMedian = median(otherRuns.map((r) => r.serverMicrosPerRequest));
  console.log(`  --against build, same produce   ${otherMedian.toFixed(1)} µs  (${(otherMedian / bareMedian).toFixed(2)}x bare, +${(otherMedian - bareMedian).toFixed(1)} µs)`);
}
console.log(`  load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
