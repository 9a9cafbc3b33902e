/**
 * TLS for both listeners, with node's own `tls` (no crypto of ours): the certificate files of the
 * config, checked at start-up, handed to the HTTP server (https) and to the Kafka listener (SSL,
 * SASL_SSL), and read again on SIGHUP.
 *
 *   tlsCert, tlsKey    the server's certificate chain and its private key (PEM, key unencrypted)
 *   tlsCa              CAs whose client certificates are accepted (PEM bundle)
 *   tlsClientAuth      none      no client certificate asked for
 *                      optional  asked for; one that does not verify against tlsCa ends the
 *                                handshake, none at all leaves the client to SASL, a token or Basic
 *                      required  a client without a certificate verified by tlsCa is refused
 *
 * A file that is missing, unreadable, not PEM, or a key that does not match the certificate
 * refuses the start with SPOOL_ERR_TLS_FILE naming the setting and the file. A reload (SIGHUP)
 * with such files keeps the certificates in use and logs the error: a typo during a certificate
 * rotation never takes the broker down. A reload swaps each server's secure context
 * (server.setSecureContext): open connections keep theirs, new handshakes get the new one.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions, type Server, type TlsOptions } from 'node:tls';
import type { FastifyBaseLogger } from 'fastify';
import type { BrokerConfig } from '../config.js';
import { BrokerError } from '../errors.js';
import { brokerLimits } from '../limits.js';

export const CLIENT_AUTH_MODES = ['none', 'optional', 'required'] as const;

/** Node's default too; said here so a reload's new context cannot differ from the first. */
const MIN_VERSION = 'TLSv1.2';

/** Kafka's listener security protocols; SSL and SASL_SSL need tlsCert. */
export const KAFKA_SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type KafkaSecurityProtocol = (typeof KAFKA_SECURITY_PROTOCOLS)[number];

export type TlsConfig = Pick<BrokerConfig, 'tlsCert' | 'tlsKey' | 'tlsCa' | 'tlsClientAuth' | 'kafkaSecurityProtocol'>;

type FileSetting = 'tlsCert' | 'tlsKey' | 'tlsCa';

/** The settings that go together, checked before any file is read. */
export function checkTlsSettings(config: TlsConfig): void {
  const refuse = (key: string, message: string): never => {
    throw new BrokerError('SPOOL_ERR_INVALID_CONFIG', message, { key });
  };
  if (config.tlsCert === '' && config.tlsKey !== '') refuse('tlsKey', 'tlsKey is set without tlsCert: give both, or neither');
  if (config.tlsCert !== '' && config.tlsKey === '') refuse('tlsKey', 'tlsCert is set without tlsKey: give both, or neither');
  if (config.tlsCert === '' && config.tlsCa !== '') refuse('tlsCa', 'tlsCa (client certificates) needs TLS: set tlsCert and tlsKey too');
  if (config.tlsClientAuth !== 'none' && config.tlsCa === '') refuse('tlsClientAuth', `tlsClientAuth ${config.tlsClientAuth} needs tlsCa, the CAs client certificates must be signed by`);
  if (config.tlsCert === '' && kafkaUsesTls(config)) refuse('kafkaSecurityProtocol', `kafkaSecurityProtocol ${config.kafkaSecurityProtocol} needs tlsCert and tlsKey`);
}

/** Whether the Kafka listener speaks TLS: SSL and SASL_SSL, or by default whenever tlsCert is set. */
export function kafkaUsesTls(config: TlsConfig): boolean {
  return kafkaProtocol(config).endsWith('SSL');
}

/** The Kafka listener's protocol: the setting, or SASL_SSL with tlsCert and SASL_PLAINTEXT without. */
export function kafkaProtocol(config: TlsConfig): KafkaSecurityProtocol {
  if (config.kafkaSecurityProtocol !== '') return config.kafkaSecurityProtocol as KafkaSecurityProtocol;
  return config.tlsCert === '' ? 'SASL_PLAINTEXT' : 'SASL_SSL';
}

/** Whether client certificates authenticate (and so the broker requires authentication). */
export function clientCertificatesOn(config: TlsConfig): boolean {
  return config.tlsCert !== '' && config.tlsClientAuth !== 'none';
}

/** The PEM files of the config, read and checked; null without tlsCert. */
export function loadTlsFiles(config: TlsConfig): SecureContextOptions | null {
  checkTlsSettings(config);
  if (config.tlsCert === '') return null;
  const cert = readSetting('tlsCert', config.tlsCert);
  const key = readSetting('tlsKey', config.tlsKey);
  const certificate = parse('tlsCert', config.tlsCert, 'a PEM certificate', () => new X509Certificate(cert));
  const privateKey = parse('tlsKey', config.tlsKey, 'an unencrypted PEM private key', () => createPrivateKey(key));
  if (!certificate.checkPrivateKey(privateKey)) {
    throw fileError('tlsKey', config.tlsKey, `does not match the certificate in tlsCert ${config.tlsCert} (a key of another certificate?)`);
  }
  const options: SecureContextOptions = { cert, key, minVersion: MIN_VERSION };
  if (config.tlsCa !== '') {
    const ca = readSetting('tlsCa', config.tlsCa);
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw fileError('tlsCa', config.tlsCa, 'holds no PEM certificate');
    parse('tlsCa', config.tlsCa, 'a bundle of PEM certificates', () => createSecureContext({ ca }));
    options.ca = ca;
  }
  // The whole context once, as the servers will build it (a chain node cannot use fails here).
  parse('tlsCert', config.tlsCert, 'usable with its key', () => createSecureContext(options));
  return options;
}

/** Options of a TLS server (https or the Kafka listener's) for these files. */
export function serverTlsOptions(files: SecureContextOptions, config: TlsConfig, handshakeTimeoutMs: number): TlsOptions {
  return {
    ...files,
    requestCert: config.tlsClientAuth !== 'none',
    // `optional` still refuses a certificate that does not verify (tls-connections.ts ends such
    // connections); only a client sending none goes on, to authenticate otherwise.
    rejectUnauthorized: config.tlsClientAuth === 'required',
    // A connection that never finishes its handshake (a plaintext client, a scanner) is closed.
    handshakeTimeout: handshakeTimeoutMs,
  };
}

/** The TLS servers of a broker and their files, reloaded together. */
export class TlsServers {
  private readonly servers: Server[] = [];

  constructor(
    private readonly config: TlsConfig,
    private files: SecureContextOptions,
    private readonly log: FastifyBaseLogger,
  ) {}

  add(server: Server): void {
    this.servers.push(server);
  }

  /** Reads the files again and gives every server the new context; bad files keep the old one. Answers whether it reloaded. */
  reload(): boolean {
    let files: SecureContextOptions | null;
    try {
      files = loadTlsFiles(this.config);
    } catch (error) {
      this.log.error({ err: error }, 'TLS reload failed: the certificates in use stay (fix the files and send SIGHUP again)');
      return false;
    }
    this.files = files!;
    for (const server of this.servers) server.setSecureContext(this.files);
    const subject = new X509Certificate(this.files.cert as string | Buffer).subject.replace(/\n/g, ', ');
    this.log.info({ subject }, 'TLS certificates reloaded');
    return true;
  }
}

/** Reads a regular file of at most tlsFileBytesMax (a device such as /dev/zero would never end). */
function readSetting(key: FileSetting, path: string): Buffer {
  let size: number;
  try {
    const stats = statSync(path);
    if (!stats.isFile()) throw new Error('not a regular file');
    size = stats.size;
  } catch (error) {
    throw fileError(key, path, `cannot be read: ${(error as Error).message}`, error);
  }
  if (size > brokerLimits.tlsFileBytesMax) throw fileError(key, path, `is ${size} bytes, more than the ${brokerLimits.tlsFileBytesMax} a PEM file of certificates needs (tlsFileBytesMax)`);
  try {
    return readFileSync(path);
  } catch (error) {
    throw fileError(key, path, `cannot be read: ${(error as Error).message}`, error);
  }
}

function parse<T>(key: FileSetting, path: string, what: string, parser: () => T): T {
  try {
    return parser();
  } catch (error) {
    throw fileError(key, path, `is not ${what}: ${(error as Error).message}`, error);
  }
}

function fileError(key: FileSetting, path: string, problem: string, cause?: unknown): BrokerError {
  return new BrokerError('SPOOL_ERR_TLS_FILE', `${key} ${path} ${problem}`, { key, path }, cause);
}
