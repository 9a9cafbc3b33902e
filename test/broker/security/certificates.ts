/**
 * A test PKI made at test time with the `openssl` CLI (Debian package `openssl`, installed by
 * .ci/run): a CA, the broker's certificate for 127.0.0.1 and localhost, client certificates, an
 * expired one (openssl ca with a start and end date in the past: OpenSSL 3.0's x509 has no
 * -not_before), and a second CA nobody trusts. EC P-256 keys: fast to make.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls, type TLSSocket } from 'node:tls';

export interface Pem {
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  /** PEM file paths. */
  caFile: string;
  otherCaFile: string;
  server: Pem;
  /** Another certificate for the broker (a rotation), same names, signed by the same CA. */
  rotatedServer: Pem;
  /** CN=admin,O=Spool Test: a superuser in the tests. */
  admin: Pem;
  /** C=US, O=Example, Inc, OU=eng, CN=alice: its principal is User:CN=alice,OU=eng,O=Example\, Inc,C=US. */
  alice: Pem;
  /** Signed by the CA, valid only in January 2020. */
  expired: Pem;
  /** Signed by the other CA. */
  stranger: Pem;
  read(path: string): Buffer;
  remove(): void;
}

export const ALICE_PRINCIPAL = 'User:CN=alice,OU=eng,O=Example\\, Inc,C=US';
export const ADMIN_PRINCIPAL = 'User:CN=admin,O=Spool Test';

const CA_CONFIG = `[ ca ]
default_ca = test_ca
[ test_ca ]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = policy_any
copy_extensions = copy
unique_subject = no
[ policy_any ]
countryName = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied
`;

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`]);
  writeFileSync(join(dir, `${name}.cnf`), CA_CONFIG.replace('database = index.txt', `database = ${name}.index`).replace('serial = serial', `serial = ${name}.serial`));
  writeFileSync(join(dir, `${name}.index`), '');
  writeFileSync(join(dir, `${name}.serial`), `${Date.now().toString(16).padStart(16, '0')}\n`);
}

function issue(dir: string, ca: string, name: string, subject: string, options: { san?: string; dates?: [string, string] } = {}): Pem {
  const request = ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject];
  if (options.san) request.push('-addext', `subjectAltName=${options.san}`);
  openssl(dir, request);
  const dates = options.dates ? ['-startdate', options.dates[0], '-enddate', options.dates[1]] : ['-days', '2'];
  openssl(dir, ['ca', '-batch', '-config', `${ca}.cnf`, '-cert', `${ca}.pem`, '-keyfile', `${ca}.key`, '-in', `${name}.csr`, '-out', `${name}.pem`, '-notext', ...dates]);
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'spool-pki-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  const san = 'IP:127.0.0.1,DNS:localhost';
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    otherCaFile: join(dir, 'other-ca.pem'),
    server: issue(dir, 'ca', 'server', '/O=Spool Test/CN=localhost', { san }),
    rotatedServer: issue(dir, 'ca', 'rotated', '/O=Spool Test Rotated/CN=localhost', { san }),
    admin: issue(dir, 'ca', 'admin', '/O=Spool Test/CN=admin'),
    alice: issue(dir, 'ca', 'alice', '/C=US/O=Example, Inc/OU=eng/CN=alice'),
    expired: issue(dir, 'ca', 'expired', '/O=Spool Test/CN=old', { dates: ['20200101000000Z', '20200201000000Z'] }),
    stranger: issue(dir, 'other-ca', 'stranger', '/O=Elsewhere/CN=stranger'),
    read: (path) => readFileSync(path),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A client's TLS options from PEM files (client/tls.ts). */
export function clientTls(pki: TestPki, pem?: Pem, caFile = pki.caFile) {
  return { ca: pki.read(caFile), ...(pem ? { cert: pki.read(pem.cert), key: pki.read(pem.key) } : {}) };
}

/** The subject of the certificate the TLS server on 127.0.0.1:port offers, verified against `ca`. */
export async function offeredSubject(port: number, ca: Buffer): Promise<string> {
  const socket: TLSSocket = connectTls({ host: '127.0.0.1', port, ca });
  await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  const subject = socket.getPeerX509Certificate()?.subject ?? '';
  socket.destroy();
  return subject;
}

/** Copies of the broker's certificate and key in a directory of their own, to replace for a reload. */
export function servedFiles(pki: TestPki, name: string): Pem {
  const dir = join(pki.dir, name);
  mkdirSync(dir);
  const served = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  copyFileSync(pki.server.cert, served.cert);
  copyFileSync(pki.server.key, served.key);
  return served;
}
