/**
 * The broker's configuration: flags over environment over defaults, validated once at start-up,
 * frozen and passed down. Nothing deeper in the broker reads process.env.
 */
import { resolve } from 'node:path';
import { parseFlushPolicy, type FlushPolicy } from '../storage/index.js';
import { BrokerError } from './errors.js';

export interface BrokerConfig {
  host: string;
  port: number;
  dataDir: string;
  flush: FlushPolicy;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** How often retention and compaction run (Kafka's log.retention.check.interval.ms). */
  cleanerIntervalMs: number;
  /** The Kafka listener (docs/kafka.md): port 0 turns it off. */
  kafkaPort: number;
  kafkaHost: string;
  /** host:port Kafka clients are told to connect to; default the listener's own address. */
  kafkaAdvertisedListener: string | null;
  /** Kafka's auto.create.topics.enable: Metadata for an unknown topic creates it. */
  kafkaAutoCreateTopics: boolean;
}

export const defaultBrokerConfig: Readonly<BrokerConfig> = Object.freeze({
  host: '127.0.0.1',
  port: 9292,
  dataDir: './data',
  flush: 'always',
  logLevel: 'info',
  cleanerIntervalMs: 5 * 60 * 1000,
  kafkaPort: 9092,
  kafkaHost: '127.0.0.1',
  kafkaAdvertisedListener: null,
  kafkaAutoCreateTopics: true,
});

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function invalid(message: string): never {
  throw new BrokerError('SPOOL_ERR_INVALID_CONFIG', message);
}

export interface ConfigSources {
  flags?: Partial<Record<keyof BrokerConfig, string | number | boolean | null | undefined>>;
  env?: NodeJS.ProcessEnv;
}

/** Merges flags, SPOOL_* environment variables and defaults, and validates the result. */
export function loadBrokerConfig({ flags = {}, env = {} }: ConfigSources): Readonly<BrokerConfig> {
  const pick = (key: keyof BrokerConfig, envName: string) => flags[key] ?? env[envName] ?? defaultBrokerConfig[key];
  const port = Number(pick('port', 'SPOOL_PORT'));
  if (!Number.isInteger(port) || port < 0 || port > 65535) invalid(`port must be 0-65535, got ${pick('port', 'SPOOL_PORT')}`);
  const flush = String(pick('flush', 'SPOOL_FLUSH'));
  if (!parseFlushPolicy(flush)) invalid(`flush must be always, never or interval:<ms>, got ${flush}`);
  const logLevel = String(pick('logLevel', 'SPOOL_LOG_LEVEL'));
  if (!LOG_LEVELS.includes(logLevel)) invalid(`log level must be one of ${LOG_LEVELS.join(', ')}`);
  const cleanerIntervalMs = Number(pick('cleanerIntervalMs', 'SPOOL_CLEANER_INTERVAL_MS'));
  if (!Number.isInteger(cleanerIntervalMs) || cleanerIntervalMs < 10) invalid('cleanerIntervalMs must be an integer >= 10');
  const host = String(pick('host', 'SPOOL_HOST'));
  if (host.length === 0) invalid('host must not be empty');
  return Object.freeze({
    ...loadKafkaConfig(pick),
    host,
    port,
    dataDir: resolve(String(pick('dataDir', 'SPOOL_DATA_DIR'))),
    flush: flush as FlushPolicy,
    logLevel: logLevel as BrokerConfig['logLevel'],
    cleanerIntervalMs,
  });
}

type PickSource = (key: keyof BrokerConfig, envName: string) => unknown;

function loadKafkaConfig(pick: PickSource): Pick<BrokerConfig, 'kafkaPort' | 'kafkaHost' | 'kafkaAdvertisedListener' | 'kafkaAutoCreateTopics'> {
  const kafkaPort = Number(pick('kafkaPort', 'SPOOL_KAFKA_PORT'));
  if (!Number.isInteger(kafkaPort) || kafkaPort < 0 || kafkaPort > 65535) invalid(`kafka port must be 0-65535 (0 = off), got ${pick('kafkaPort', 'SPOOL_KAFKA_PORT')}`);
  const kafkaHost = String(pick('kafkaHost', 'SPOOL_KAFKA_HOST'));
  if (kafkaHost.length === 0) invalid('kafka host must not be empty');
  const advertised = pick('kafkaAdvertisedListener', 'SPOOL_KAFKA_ADVERTISED_LISTENER');
  const kafkaAdvertisedListener = advertised === null || advertised === undefined || advertised === '' ? null : String(advertised);
  if (kafkaAdvertisedListener !== null) parseHostPort(kafkaAdvertisedListener);
  const autoCreate = String(pick('kafkaAutoCreateTopics', 'SPOOL_KAFKA_AUTO_CREATE_TOPICS'));
  if (autoCreate !== 'true' && autoCreate !== 'false') invalid(`kafka auto-create-topics must be true or false, got ${autoCreate}`);
  return { kafkaPort, kafkaHost, kafkaAdvertisedListener, kafkaAutoCreateTopics: autoCreate === 'true' };
}

/** `host:port` (an IPv6 host in brackets: `[::1]:9092`). */
export function parseHostPort(text: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) invalid(`advertised listener must be host:port, got ${text}`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}
