/**
 * The live tail's bounded memory, tested by behaviour: against a response whose socket buffer
 * never drains, the tail stops reading the log after one read, and goes on one read at a time as
 * the socket drains; retention deleting what it has not sent yet is told as `overtaken`.
 */
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import { runLiveTail, type LiveSource } from '../../../broker/live/live-tail.js';
import { encodeRecordBatch, type PartitionLog } from '../../../storage/index.js';
import { useTempLogs } from '../../storage/support/temp-logs.js';

/** A response whose buffer holds `highWaterBytes`; it drains only when the test says so. */
class StalledResponse extends EventEmitter {
  text = '';
  buffered = 0;
  constructor(private highWaterBytes: number) {
    super();
  }
  writeHead(): this {
    return this;
  }
  write(chunk: string): boolean {
    this.text += chunk;
    this.buffered += chunk.length;
    return this.buffered < this.highWaterBytes;
  }
  drain(highWaterBytes = this.highWaterBytes): void {
    this.highWaterBytes = highWaterBytes;
    this.buffered = 0;
    this.emit('drain');
  }
  records(): number {
    return this.text.split('event: record\n').length - 1;
  }
}

/** Counts the log reads the tail makes. */
function countReads(log: PartitionLog): { count: number } {
  const reads = { count: 0 };
  const read = log.read.bind(log);
  log.read = (offset, maxBytes) => {
    reads.count++;
    return read(offset, maxBytes);
  };
  return reads;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

const logs = useTempLogs('live-tail');

async function fill(log: PartitionLog, records: number, valueBytes: number): Promise<void> {
  for (let i = 0; i < records; i++) await log.append(encodeRecordBatch([{ key: null, value: Buffer.alloc(valueBytes, 97) }]));
}

describe('live tail backpressure', () => {
  it('does not read on while the socket is not drained (one read\'s events in one write), and reads one step per drain', async () => {
    const [log] = await logs.manager.openTopic('slow', 1);
    await fill(log!, 200, 1000);
    const reads = countReads(log!);
    const response = new StalledResponse(4000);
    const abort = new AbortController();
    const sources: LiveSource[] = [{ log: log!, position: 0 }];
    const running = runLiveTail(response as unknown as ServerResponse, sources, { qualifiedIds: false, valueFormat: 'base64', signal: abort.signal, readBytes: 8192, heartbeatMs: 60_000 });

    await settle();
    const firstRecords = response.records();
    expect(reads.count).toBe(1);
    // One read's events went out in one write (8192 bytes of ~1070-byte batches: at most 8), then it stopped.
    expect(firstRecords).toBeGreaterThan(0);
    expect(firstRecords).toBeLessThanOrEqual(Math.ceil(8192 / 1000));
    await settle();
    expect(response.records()).toBe(firstRecords); // nothing more while stalled

    // Each drain lets it write up to the next full buffer: still no read beyond the next step.
    for (let step = 0; step < 5; step++) {
      response.drain();
      await settle();
    }
    expect(response.records()).toBeGreaterThan(firstRecords);
    expect(reads.count).toBeLessThanOrEqual(1 + Math.ceil((response.records() * 1100) / 8192) + 1);
    expect(sources[0]!.position).toBeLessThan(200);

    response.drain(Number.POSITIVE_INFINITY);
    await vi.waitFor(() => expect(response.records()).toBe(200));
    expect(sources[0]!.position).toBe(200);
    abort.abort();
    await running;
  });

  it('tells a subscriber that retention overtook it, and continues from the log start', async () => {
    const [log] = await logs.manager.openTopic('overtaken', 1, { segmentBytes: 1024 });
    await fill(log!, 40, 200);
    expect(log!.sealedSegments().length).toBeGreaterThan(5);
    const response = new StalledResponse(1);
    const abort = new AbortController();
    const sources: LiveSource[] = [{ log: log!, position: 0 }];
    const running = runLiveTail(response as unknown as ServerResponse, sources, { qualifiedIds: true, valueFormat: 'base64', signal: abort.signal, readBytes: 256, heartbeatMs: 60_000 });
    await settle();
    const sent = response.records();
    await log!.deleteOldestSegments(5);
    const start = log!.logStartOffset;
    expect(start).toBeGreaterThan(sent);
    response.drain(Number.POSITIVE_INFINITY);
    await vi.waitFor(() => expect(response.text).toContain('id: overtaken/0:39\n'));
    const overtaken = /event: overtaken\ndata: (.*)\n/.exec(response.text);
    expect(JSON.parse(overtaken![1]!)).toEqual({ topic: 'overtaken', partition: 0, from: expect.any(Number), to: start });
    expect(response.text).toContain(`id: overtaken/0:${start}\n`);
    expect(response.text).toContain('id: overtaken/0:39\n');
    abort.abort();
    await running;
  });
});
