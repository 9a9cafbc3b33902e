/**
 * The SIGKILL step the crash loops share (crash-loop.ts for logs and offsets, queue-crash-loop.ts
 * for work queues): load runs, the broker is killed at a random moment within it, and the loop
 * waits for every request the kill cut short to settle before it checks anything.
 */
import type { BrokerProcess } from './broker-process.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const randomInt = (min: number, max: number) => min + Math.floor(Math.random() * (max - min));

/** `load` starts the workers; they loop while `running()` and may fail once the broker is gone. */
export async function killUnderLoad(broker: BrokerProcess, loadMs: { min: number; max: number }, load: (running: () => boolean) => Array<Promise<void>>): Promise<void> {
  let alive = true;
  const workers = load(() => alive).map((work) => work.catch(() => {})); // requests cut by the kill
  await sleep(randomInt(loadMs.min, loadMs.max));
  const exited = new Promise((resolve) => broker.child.once('exit', resolve));
  broker.child.kill('SIGKILL');
  await exited;
  alive = false;
  await Promise.all(workers);
}
