/**
 * The client of bench:http-cost, in its own process so that its CPU is not the server's: sends
 * N requests one after the other over one keep-alive undici connection and prints its own CPU µs.
 *
 *   node sequential-client.js <url> <count> <json body>
 */
import { Pool } from 'undici';

const [url, countText, body] = process.argv.slice(2) as [string, string, string];
const target = new URL(url);
const pool = new Pool(target.origin, { connections: 1, pipelining: 1 });
const headers = { 'content-type': 'application/json' };
let failures = 0;
const send = async () => {
  const response = await pool.request({ method: 'POST', path: target.pathname, headers, body });
  if (response.statusCode >= 300) failures++;
  await response.body.dump();
};
for (let i = 0; i < 200; i++) await send(); // warm-up, outside the measured count
process.send?.({ ready: true });
await new Promise((resolve) => process.once('message', resolve));
const cpu = process.cpuUsage();
for (let i = 0; i < Number(countText); i++) await send();
const used = process.cpuUsage(cpu);
process.send?.({ cpuMicros: used.user + used.system, failures });
await pool.close();
