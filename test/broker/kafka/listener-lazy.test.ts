/**
 * The Kafka listener loads its protocol stack at the first connection (issue 22: idle memory). In a
 * fresh process (the compiled broker, embedded), a connection whose request is written the moment
 * it opens, before the modules are loaded, is answered; connections waiting for the load count
 * against kafkaConnectionsMax; close() ends everything and the process exits by itself.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BROKER = join(import.meta.dirname, '../../../dist/broker/index.js');

/** ApiVersions v0 (api key 18), correlation id `id`, null client id: 10 bytes after the size. */
const API_VERSIONS_V0 = (id: number) => {
  const frame = Buffer.alloc(14);
  frame.writeInt32BE(10, 0);
  frame.writeInt16BE(18, 4);
  frame.writeInt16BE(0, 6);
  frame.writeInt32BE(id, 8);
  frame.writeInt16BE(-1, 12);
  return frame.toString('hex');
};

const SCRIPT = `
  import { connect } from 'node:net';
  const { startBroker } = await import(${JSON.stringify(BROKER)});
  const broker = await startBroker({ limits: { kafkaConnectionsMax: 2 } });
  const [host, port] = [broker.kafkaBootstrap.slice(0, broker.kafkaBootstrap.lastIndexOf(':')), Number(broker.kafkaBootstrap.split(':').pop())];
  // Three at once, each writing its request as soon as it connects: the third is past the cap.
  const outcomes = await Promise.all([1, 2, 3].map((id) => new Promise((resolve) => {
    const socket = connect(port, host, () => socket.write(Buffer.from(process.argv.at(-1 - (3 - id)), 'hex')));
    let answer = Buffer.alloc(0);
    socket.on('data', (data) => {
      answer = Buffer.concat([answer, data]);
      if (answer.length >= 4 && answer.length >= 4 + answer.readInt32BE(0)) {
        resolve({ correlationId: answer.readInt32BE(4), errorCode: answer.readInt16BE(8) });
        socket.destroy();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve('closed'));
  })));
  await broker.close();
  console.log(JSON.stringify(outcomes));
`;

describe('the Kafka listener, protocol stack loaded at the first connection', () => {
  it('answers requests written before the stack is loaded; waiting connections count against kafkaConnectionsMax', () => {
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT, API_VERSIONS_V0(1), API_VERSIONS_V0(2), API_VERSIONS_V0(3)], { encoding: 'utf8', timeout: 60_000 });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0); // and it exited by itself: nothing left open
    const outcomes = JSON.parse(child.stdout.trim()) as Array<{ correlationId: number; errorCode: number } | 'closed'>;
    const answered = outcomes.filter((outcome) => outcome !== 'closed');
    expect(outcomes.filter((outcome) => outcome === 'closed')).toHaveLength(1);
    expect(answered).toHaveLength(2);
    for (const answer of answered) expect(answer.errorCode).toBe(0);
  });
});
