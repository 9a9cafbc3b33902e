/**
 * Kill -9 while appending with flush=always: every acknowledged record must be readable after
 * reopening, at its acknowledged offset, with valid CRCs and contiguous offsets, and nothing torn
 * may remain at the tail. Several cycles on one data directory.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeRecordBatches, encodeRecordBatch } from '../../../storage/codec/record-batch.js';
import { LogManager } from '../../../storage/log/log-manager.js';

const CHILD = join(import.meta.dirname, 'fixtures/append-child.mjs');
let root = '';
afterAll(async () => rm(root, { recursive: true, force: true }));

/** Runs the child until `acks` appends were acknowledged, then SIGKILLs it. */
async function appendAndKill(cycle: number, acks: number): Promise<Map<number, string>> {
  const acknowledged = new Map<number, string>();
  const child = spawn(process.execPath, [CHILD, root, String(cycle)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const [offset, payload] = line.split(' ');
    acknowledged.set(Number(offset), payload!);
    if (acknowledged.size >= acks) {
      child.kill('SIGKILL');
      break;
    }
  }
  await exited;
  return acknowledged;
}

describe('crash safety (SIGKILL during flush=always appends)', () => {
  it('keeps every acknowledged record, exactly once, across repeated kills', async () => {
    root = await mkdtemp(join(tmpdir(), 'spool-crash-'));
    const everAcknowledged = new Map<number, string>();
    for (let cycle = 0; cycle < 5; cycle++) {
      const acks = 100 + Math.floor(Math.random() * 400);
      for (const [offset, payload] of await appendAndKill(cycle, acks)) everAcknowledged.set(offset, payload);

      const manager = await LogManager.open({ root });
      expect(manager.cleanShutdown).toBe(false);
      const [log] = await manager.openTopic('crash', 1, { flush: 'always', segmentBytes: 64 * 1024 });
      const found = new Map<number, string>();
      let offset = log!.logStartOffset;
      let expectedNext = 0;
      while (offset < log!.highWatermark) {
        const read = await log!.read(offset, 256 * 1024);
        for (const batch of decodeRecordBatches(read.data)) {
          // decodeRecordBatches checked every CRC; offsets must be contiguous with no repeats.
          expect(batch.header.baseOffset).toBe(expectedNext);
          expectedNext = batch.header.baseOffset + batch.header.lastOffsetDelta + 1;
          expect(batch.records).toHaveLength(2);
          found.set(batch.header.baseOffset, batch.records[0]!.value!.toString());
        }
        offset = read.nextOffset;
      }
      expect(expectedNext).toBe(log!.highWatermark);
      for (const [ackedOffset, payload] of everAcknowledged) expect(found.get(ackedOffset), `offset ${ackedOffset}`).toBe(payload);
      const payloads = [...found.values()];
      expect(new Set(payloads).size).toBe(payloads.length);
      // The log takes appends again right after its tail.
      const next = await log!.append(encodeRecordBatch([{ value: Buffer.from(`check-${cycle}-a`) }, { value: Buffer.from(`check-${cycle}-b`) }]));
      expect(next.baseOffset).toBe(expectedNext);
      everAcknowledged.set(next.baseOffset, `check-${cycle}-a`);
      await manager.close();
    }
  });
});
