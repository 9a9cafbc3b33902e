/**
 * npm run bench:client: what an application gets through Spool's own client, against a broker in
 * its own process (flush=never: acknowledged from the page cache; the synced tier is in
 * bench:compare). Beside it, in the same run, the disk's sequential write bandwidth.
 *
 *   produce  100-byte values, one producer, 1 and 16 partitions (push() + drain, batches of 1 MiB)
 *   replay   one group consumer reading a 10,000,000-record backlog from the start (eachBatch)
 *
 * Targets (ARCHITECTURE §5): >= 1,000,000 records/s produce, >= 2,000,000 records/s replay.
 * Flags: USAGE below (`--help` prints it).
 */
import { tmpdir } from 'node:os';
import { Spool } from '../client/index.js';
import { startBrokerProcess, residentBytes } from './lib/broker-process.js';
import { calibrateDisk } from './lib/disk.js';
import { printReport, ratio, type Row } from './lib/report.js';
import { clientProduce, clientReplay } from './lib/spool-client-runs.js';
import { exitOnHelp } from './lib/usage.js';

const USAGE = `Usage: npm run bench:client [-- options]
Produce and group replay through Spool's own client against a broker in its own process
(flush=never), beside the disk's sequential write bandwidth. Targets: >= 1M records/s produce,
>= 2M records/s replay.

  --quick   produce runs of 1,000,000 records and a 2,000,000-record backlog (default 3,000,000
            and 10,000,000); a quick run's result is not saved`;
exitOnHelp(USAGE);

const quick = process.argv.includes('--quick');
const PRODUCE_RECORDS = quick ? 1_000_000 : 3_000_000;
const BACKLOG_RECORDS = quick ? 2_000_000 : 10_000_000;
const VALUE = Buffer.alloc(100, 'x');
const RECORD_BYTES = VALUE.length + 12; // value plus a record's framing in the batch

const disk = calibrateDisk(tmpdir(), 512 * 1024 * 1024);
const broker = await startBrokerProcess({ flush: 'never' });
const spool = new Spool({ url: broker.url });

const produce = (topic: string, partitions: number, records: number) => clientProduce(spool, topic, partitions, records, VALUE);
const replay = (topic: string, records: number) => clientReplay(spool, topic, records);

const rows: Row[] = [{ run: 'disk sequential write (reference)', 'records/s': null, 'MB/s': disk.sequentialWriteMBps, 'of disk': 1, target: '' }];
const addProduce = (run: string, rate: number) =>
  rows.push({ run, 'records/s': rate, 'MB/s': (rate * RECORD_BYTES) / 1e6, 'of disk': ratio((rate * RECORD_BYTES) / 1e6, disk.sequentialWriteMBps), target: rate >= 1_000_000 ? 'met (>= 1M/s)' : 'missed (>= 1M/s)' });

addProduce(`produce, 1 partition, ${PRODUCE_RECORDS.toLocaleString('en-US')} records`, await produce('produce-1', 1, PRODUCE_RECORDS));
addProduce(`produce, 16 partitions, ${PRODUCE_RECORDS.toLocaleString('en-US')} records`, await produce('produce-16', 16, PRODUCE_RECORDS));
const backlogRate = await produce('backlog', 8, BACKLOG_RECORDS);
addProduce(`backlog produce, 8 partitions, ${BACKLOG_RECORDS.toLocaleString('en-US')} records`, backlogRate);
const replayRate = await replay('backlog', BACKLOG_RECORDS);
rows.push({ run: `group replay of ${BACKLOG_RECORDS.toLocaleString('en-US')} records, 8 partitions`, 'records/s': replayRate, 'MB/s': (replayRate * RECORD_BYTES) / 1e6, 'of disk': null, target: replayRate >= 2_000_000 ? 'met (>= 2M/s)' : 'missed (>= 2M/s)' });
const brokerRss = await residentBytes(broker.pid);
await spool.close();
await broker.stop();

printReport({ bench: 'client', quick, valueBytes: VALUE.length, disk, brokerRssMB: brokerRss / 1e6, clientRssMB: process.memoryUsage().rss / 1e6, rows }, { save: !quick });
