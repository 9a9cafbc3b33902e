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
  /** Serve the web console at /console (`--no-console`, env SPOOL_CONSOLE=false, turns it off). */
  console: boolean;
}

export const defaultBrokerConfig: Readonly<BrokerConfig> = Object.freeze({
  host: '127.0.0.1',
  port: 9292,
  dataDir: './data',
  flush: 'always',
  logLevel: 'info',
  cleanerIntervalMs: 5 * 60 * 1000,
  console: true,
});

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function invalid(message: string): never {
  throw new BrokerError('SPOOL_ERR_INVALID_CONFIG', message);
}

export interface ConfigSources {
  flags?: Partial<Record<keyof BrokerConfig, string | number | boolean | undefined>>;
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
  const console = String(pick('console', 'SPOOL_CONSOLE'));
  if (console !== 'true' && console !== 'false') invalid(`console must be true or false, got ${console}`);
  return Object.freeze({
    host,
    port,
    dataDir: resolve(String(pick('dataDir', 'SPOOL_DATA_DIR'))),
    flush: flush as FlushPolicy,
    logLevel: logLevel as BrokerConfig['logLevel'],
    cleanerIntervalMs,
    console: console === 'true',
  });
}
