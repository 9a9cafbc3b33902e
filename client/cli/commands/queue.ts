/** `spool queue create|describe|receive|ack|nack|reject`: work queues from the shell. */
import { Command } from 'commander';
import type { QueueConfig } from '../../queue/queue.js';
import type { Connect } from '../connect.js';
import { ExitCode, note, printJson } from '../output.js';
import { positiveInteger } from '../options.js';

export function queueCommand(connect: Connect): Command {
  const queue = new Command('queue').description('Work queues: per-message receive and ack, redelivery, dead letters');
  const open = (topic: string, name: string) => connect().queue(topic, name, { codec: 'string' });

  queue
    .command('create <topic> <queue>')
    .description('Create a queue on a topic, or change its config')
    .option('--visibility-ms <ms>', 'lease time of a received message before it is delivered again', positiveInteger)
    .option('--max-deliveries <n>', 'deliveries before a message is dead-lettered', positiveInteger)
    .option('--dead-letter-topic <topic>', 'where dead letters go (default <topic>.dlq)')
    .option('--ordered-by-key', 'at most one message per key in flight')
    .action(async (topic: string, name: string, flags: { visibilityMs?: number; maxDeliveries?: number; deadLetterTopic?: string; orderedByKey?: boolean }) => {
      const config: QueueConfig = { visibilityMs: flags.visibilityMs, maxDeliveries: flags.maxDeliveries, deadLetterTopic: flags.deadLetterTopic, orderedByKey: flags.orderedByKey };
      printJson(await open(topic, name).configure(config));
    });

  queue
    .command('describe <topic> <queue>')
    .description('Available, in flight and dead-lettered messages, and the acknowledged point per partition')
    .action(async (topic: string, name: string) => printJson(await open(topic, name).describe()));

  queue
    .command('receive <topic> <queue>')
    .description('Receive messages (one JSON object a line, with its receipt for ack/nack/reject)')
    .option('-n, --max <n>', 'messages to receive', positiveInteger, 1)
    .option('-w, --wait <ms>', 'wait this long for a message', positiveInteger, 0)
    .option('--visibility-ms <ms>', 'lease time (the queue\'s by default)', positiveInteger)
    .option('--ack', 'acknowledge what was printed at once')
    .action(async (topic: string, name: string, flags: { max: number; wait: number; visibilityMs?: number; ack?: boolean }) => {
      const messages = await open(topic, name).receive({ max: flags.max, waitMs: flags.wait, visibilityMs: flags.visibilityMs });
      for (const { receipt, partition, offset, deliveryCount, key, value, headers, timestamp } of messages) {
        process.stdout.write(`${JSON.stringify({ receipt, partition, offset, deliveryCount, timestamp: new Date(timestamp).toISOString(), key, value, headers })}\n`);
      }
      if (flags.ack) await Promise.all(messages.map((message) => message.ack()));
      if (messages.length === 0) note('no message available');
    });

  const settle = (kind: 'ack' | 'nack' | 'reject', description: string) =>
    queue
      .command(`${kind} <topic> <queue> <receipts...>`)
      .description(description)
      .option('--delay-ms <ms>', 'nack: deliver again only after this long', positiveInteger)
      .option('--reason <text>', 'reject: why (in the dead letter\'s dlq-reason header)')
      .action(async (topic: string, name: string, receipts: string[], flags: { delayMs?: number; reason?: string }) => {
        const results = await open(topic, name).settle(kind, receipts, { delayMs: flags.delayMs, reason: flags.reason });
        for (const result of results) {
          if (result.ok) process.stdout.write(`${kind} ${result.receipt}\n`);
          else {
            process.stderr.write(`spool: ${result.error!.code}: ${result.receipt}: ${result.error!.message}\n`);
            process.exitCode = ExitCode.failed;
          }
        }
      });
  queue
    .command('redrive <topic> <queue>')
    .description('Move the queue\'s dead letters back onto its topic, to be delivered again (each letter once)')
    .option('-n, --max <n>', 'dead letters to move (the broker\'s limit by default)', positiveInteger)
    .option('--dry-run', 'list the dead letters that would move, move nothing')
    .action(async (topic: string, name: string, flags: { max?: number; dryRun?: boolean }) => {
      const result = await open(topic, name).redrive({ max: flags.max, dryRun: flags.dryRun });
      for (const letter of result.redriven) process.stdout.write(`${JSON.stringify(letter)}\n`);
      note(`${result.dryRun ? 'would redrive' : 'redrove'} ${result.redriven.length} dead letter(s) from ${result.deadLetterTopic}${result.more ? '; more remain: run again' : ''}`);
    });

  settle('ack', 'Acknowledge messages by receipt: done, never delivered again');
  settle('nack', 'Give messages back by receipt: delivered again (after --delay-ms)');
  settle('reject', 'Dead-letter messages by receipt at once');
  return queue;
}
