/**
 * `spool produce <topic>`: one record per line from stdin or --file. A line is a UTF-8 string
 * value by default; `--codec json` parses it as JSON; `--key-field` takes the key from a field of a
 * JSON line, `--key-separator` from the text before a separator (kafka-console-producer's
 * parse.key; a line without it is an error naming the line, or keyless with --missing-key none).
 * A file read on a terminal shows a progress bar with records/s and bytes. With
 * `--expected-offsets 0=42` every line goes in one conditional request, written only if each named
 * partition ends at that offset (SPOOL_ERR_OFFSET_MISMATCH otherwise, nothing written).
 */
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command, Option } from 'commander';
import { type CompressionName, compressionNames } from '../../../storage/codec/index.js';
import type { ProducerRecord } from '../../record-encoding.js';
import type { Connect } from '../connect.js';
import { note } from '../output.js';
import { expectedOffsetPairs, positiveInteger } from '../options.js';
import { progressBar, type ProgressFlag } from '../progress.js';

interface ProduceFlags {
  file?: string;
  codec: 'string' | 'json';
  compression: CompressionName;
  keyField?: string;
  keySeparator?: string;
  missingKey: 'error' | 'none';
  partition?: number;
  partitions: number;
  create: boolean;
  progress: ProgressFlag;
  expectedOffsets?: Record<number, number>;
}

export class LineError extends Error {}

export function lineToRecord(line: string, lineNumber: number, flags: Pick<ProduceFlags, 'codec' | 'keyField' | 'keySeparator' | 'missingKey' | 'partition'>): ProducerRecord {
  let key: string | undefined;
  let text = line;
  if (flags.keySeparator !== undefined) {
    const at = line.indexOf(flags.keySeparator);
    if (at >= 0) {
      key = line.slice(0, at);
      text = line.slice(at + flags.keySeparator.length);
    } else if (flags.missingKey === 'error') {
      throw new LineError(`line ${lineNumber} has no key separator ${JSON.stringify(flags.keySeparator)} (--missing-key none produces such lines without a key)`);
    }
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

export function produceCommand(connect: Connect): Command {
  return new Command('produce')
    .argument('<topic>')
    .description('Produce one record per line from stdin or a file')
    .option('-f, --file <path>', 'read this file instead of stdin')
    .addOption(new Option('--codec <codec>', 'how a line becomes a value').choices(['string', 'json']).default('string'))
    .addOption(new Option('--compression <codec>', 'compress each batch').choices(compressionNames).default('none'))
    .option('-k, --key-field <field>', 'JSON lines: take the key from this field')
    .option('--key-separator <sep>', 'take the key from the text before this separator')
    .addOption(new Option('--missing-key <what>', 'a line without the key separator: error (stop there) or none (no key)').choices(['error', 'none']).default('error'))
    .option('--partition <n>', 'write every record to this partition', positiveInteger)
    .option('--partitions <n>', 'partitions of the topic if it has to be created', positiveInteger, 1)
    .option('--no-create', 'fail instead of creating a missing topic')
    .option('--progress', 'show the progress bar of a --file even when stderr is not a terminal')
    .option('--no-progress', 'no progress bar')
    .option('--expected-offsets <partition=offset,...>', 'write all lines in one request, only if each named partition ends at that offset (optimistic concurrency)', expectedOffsetPairs)
    .action(async (topic: string, flags: ProduceFlags) => {
      const spool = connect();
      if (flags.create && (await spool.admin.ensureTopic({ name: topic, partitions: flags.partitions }))) {
        note(`created topic ${topic} with ${flags.partitions} partition${flags.partitions === 1 ? '' : 's'}`);
      }
      const codec = flags.codec === 'json' || flags.keyField !== undefined ? 'json' : 'string';
      const producer = spool.producer({ codec, compression: flags.compression, lingerMs: 5 });
      const input = flags.file ? createReadStream(flags.file) : process.stdin;
      const bar = flags.file ? progressBar(flags.progress, '{bar} {percentage}% | {value}/{total} bytes | {records} records | {rate} records/s', statSync(flags.file).size, { records: 0, rate: 0 }) : null;
      const startedAt = performance.now();
      const figures = () => ({ records, rate: Math.round(records / Math.max(0.001, (performance.now() - startedAt) / 1000)) });
      let records = 0;
      let bytes = 0;
      let lineNumber = 0;
      // A conditional write is one request: all lines are collected first.
      const conditional: ProducerRecord[] | null = flags.expectedOffsets ? [] : null;
      try {
        for await (const line of createInterface({ input, crlfDelay: Infinity })) {
          lineNumber++;
          bytes += Buffer.byteLength(line) + 1;
          if (line.length === 0) continue;
          if (conditional) conditional.push(lineToRecord(line, lineNumber, flags));
          else if (!producer.push(topic, lineToRecord(line, lineNumber, flags))) await producer.drain();
          records++;
          bar?.update(bytes, figures());
        }
        if (conditional && conditional.length > 0) await producer.send(topic, conditional, { expectedOffsets: flags.expectedOffsets! });
      } finally {
        // The records before a bad line are sent, and the message says how many.
        await producer.close();
        bar?.finish(bytes, figures());
        note(`produced ${records} record${records === 1 ? '' : 's'} (${bytes} bytes) to ${topic} in ${((performance.now() - startedAt) / 1000).toFixed(2)} s`);
      }
    });
}
