/**
 * `spool produce <topic>`: one record per line from stdin or --file. A line is a UTF-8 string
 * value by default; `--codec json` parses it as JSON; `--key-field` takes the key from a field of a
 * JSON line, `--key-separator` from the text before a separator (kafka-console-producer's
 * parse.key). A file read on a terminal shows a progress bar with records/s and bytes.
 */
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { type CompressionName, compressionNames } from '../../../storage/codec/index.js';
import type { ProducerRecord } from '../../record-encoding.js';
import type { Connect } from '../connect.js';
import { note } from '../output.js';
import { positiveInteger } from '../options.js';

interface ProduceFlags {
  file?: string;
  codec: 'string' | 'json';
  compression: CompressionName;
  keyField?: string;
  keySeparator?: string;
  partition?: number;
  partitions: number;
  create: boolean;
  progress: boolean;
}

export class LineError extends Error {}

export function lineToRecord(line: string, lineNumber: number, flags: Pick<ProduceFlags, 'codec' | 'keyField' | 'keySeparator' | 'partition'>): ProducerRecord {
  let key: string | undefined;
  let text = line;
  if (flags.keySeparator !== undefined) {
    const at = line.indexOf(flags.keySeparator);
    if (at < 0) throw new LineError(`line ${lineNumber} has no key separator ${JSON.stringify(flags.keySeparator)}`);
    key = line.slice(0, at);
    text = line.slice(at + flags.keySeparator.length);
  }
  let value: unknown = text;
  if (flags.codec === 'json' || flags.keyField !== undefined) {
    try {
      value = JSON.parse(text);
    } catch {
      throw new LineError(`line ${lineNumber} is not JSON: ${text.slice(0, 80)}`);
    }
    if (flags.keyField !== undefined) {
      const field = (value as Record<string, unknown> | null)?.[flags.keyField];
      if (field !== undefined && field !== null) key = typeof field === 'string' ? field : JSON.stringify(field);
    }
  }
  return { key, value, partition: flags.partition };
}

function progressBar(totalBytes: number) {
  const bar = new cliProgress.SingleBar(
    { format: '{bar} {percentage}% | {value}/{total} bytes | {records} records | {rate} records/s', hideCursor: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  bar.start(totalBytes, 0, { records: 0, rate: 0 });
  return bar;
}

export function produceCommand(connect: Connect): Command {
  return new Command('produce')
    .argument('<topic>')
    .description('Produce one record per line from stdin or a file')
    .option('-f, --file <path>', 'read this file instead of stdin')
    .addOption(new Option('--codec <codec>', 'how a line becomes a value').choices(['string', 'json']).default('string'))
    .addOption(new Option('--compression <codec>', 'compress each batch').choices(compressionNames).default('none'))
    .option('-k, --key-field <field>', 'JSON lines: take the key from this field')
    .option('--key-separator <sep>', 'take the key from the text before this separator')
    .option('--partition <n>', 'write every record to this partition', positiveInteger)
    .option('--partitions <n>', 'partitions of the topic if it has to be created', positiveInteger, 1)
    .option('--no-create', 'fail instead of creating a missing topic')
    .option('--no-progress', 'no progress bar')
    .action(async (topic: string, flags: ProduceFlags) => {
      const spool = connect();
      if (flags.create && (await spool.admin.ensureTopic({ name: topic, partitions: flags.partitions }))) {
        note(`created topic ${topic} with ${flags.partitions} partition${flags.partitions === 1 ? '' : 's'}`);
      }
      const codec = flags.codec === 'json' || flags.keyField !== undefined ? 'json' : 'string';
      const producer = spool.producer({ codec, compression: flags.compression, lingerMs: 5 });
      const input = flags.file ? createReadStream(flags.file) : process.stdin;
      const bar = flags.file && flags.progress && process.stderr.isTTY ? progressBar(statSync(flags.file).size) : null;
      const startedAt = performance.now();
      let records = 0;
      let bytes = 0;
      let lastDraw = 0;
      for await (const line of createInterface({ input, crlfDelay: Infinity })) {
        bytes += Buffer.byteLength(line) + 1;
        if (line.length === 0) continue;
        if (!producer.push(topic, lineToRecord(line, records + 1, flags))) await producer.drain();
        records++;
        if (bar && performance.now() - lastDraw > 100) {
          lastDraw = performance.now();
          bar.update(bytes, { records, rate: Math.round(records / ((lastDraw - startedAt) / 1000)) });
        }
      }
      await producer.close();
      const seconds = (performance.now() - startedAt) / 1000;
      if (bar) {
        bar.update(bytes, { records, rate: Math.round(records / seconds) });
        bar.stop();
      }
      note(`produced ${records} record${records === 1 ? '' : 's'} (${bytes} bytes) to ${topic} in ${seconds.toFixed(2)} s`);
    });
}
