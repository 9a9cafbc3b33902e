/**
 * Certificate rotation in the real process: `node dist/broker/main.js` with TLS on both listeners,
 * its files replaced and SIGHUP sent. A connection opened before keeps working on the old
 * certificate, new connections (HTTP and Kafka) get the new one, and a SIGHUP with bad files is
 * logged and changes nothing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { freePort } from '../support/free-port.js';
import { makeTestPki, offeredSubject, servedFiles, type TestPki } from './certificates.js';

const MAIN = join(import.meta.dirname, '../../../dist/broker/main.js');

let pki: TestPki;
let child: ChildProcess | null = null;
let output = '';

/** One keep-alive request on an open TLS connection: answers the status line. */
function healthOn(socket: TLSSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const onData = (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n\r\n') && answer.includes('}')) {
        socket.off('data', onData);
        resolve(answer.split('\r\n')[0]!);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  });
}

beforeAll(() => {
  pki = makeTestPki();
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((resolve) => child!.once('exit', resolve));
  }
  pki?.remove();
});

it('reloads the certificate files on SIGHUP without dropping open connections', async () => {
  const { cert, key } = servedFiles(pki, 'served');
  const [port, kafkaPort] = [await freePort(), await freePort()];
  child = spawn(process.execPath, [MAIN, '--port', String(port), '--kafka-port', String(kafkaPort), '--data-dir', join(pki.dir, 'data'), '--tls-cert', cert, '--tls-key', key], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await vi.waitFor(() => expect(output).toContain(`Spool is listening on https://127.0.0.1:${port}`), { timeout: 20_000, interval: 50 });
  const ca = pki.read(pki.caFile);

  const before = connectTls({ host: '127.0.0.1', port, ca });
  await new Promise((resolve, reject) => before.once('secureConnect', resolve).once('error', reject));
  expect(await healthOn(before)).toBe('HTTP/1.1 200 OK');

  // Bad files: logged, nothing changes.
  writeFileSync(key, 'not a key');
  child.kill('SIGHUP');
  await vi.waitFor(() => expect(output).toContain('TLS reload failed'), { timeout: 10_000, interval: 50 });
  expect(output).toContain('SPOOL_ERR_TLS_FILE');
  expect(await offeredSubject(port, ca)).toContain('O=Spool Test\n');

  copyFileSync(pki.rotatedServer.cert, cert);
  copyFileSync(pki.rotatedServer.key, key);
  child.kill('SIGHUP');
  await vi.waitFor(() => expect(output).toContain('TLS certificates reloaded'), { timeout: 10_000, interval: 50 });
  expect(await offeredSubject(port, ca)).toContain('O=Spool Test Rotated');
  expect(await offeredSubject(kafkaPort, ca)).toContain('O=Spool Test Rotated');

  // The connection opened before the reload still answers, on the certificate it began with.
  expect(await healthOn(before)).toBe('HTTP/1.1 200 OK');
  expect(before.getPeerX509Certificate()?.subject).toContain('O=Spool Test\n');
  before.destroy();
  expect(child.exitCode).toBeNull();
});
