/**
 * The broker's configuration, in one table: `BrokerConfigSchema`. Each entry is a TypeBox schema
 * with its default and a description, and its name gives the rest (see `settingNames`):
 *
 *   key (config file)     flag                     environment
 *   dataDir               --data-dir               SPOOL_DATA_DIR
 *   cleanerIntervalMs     --cleaner-interval-ms    SPOOL_CLEANER_INTERVAL_MS
 *
 * Adding a setting is one entry here: `spool serve` grows the flag and lists it in --help, the
 * environment and the config file accept it, and the loaded object carries it typed.
 *
 * Precedence: values given in code > flags > SPOOL_* environment > config file (`--config` or
 * SPOOL_CONFIG) > the default. The result is validated once at start-up, frozen and passed down;
 * nothing deeper in the broker reads process.env.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FormatRegistry, type Static, type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { type FlushPolicy, flushPolicyGrammar, parseFlushPolicy, STREAM_CLEAN_MIN_HIDDEN_EVENTS_DEFAULT } from '../storage/index.js';
import { BrokerError } from './errors.js';
import { closestName } from './http/validation-message.js';
import { type BrokerLimits, brokerLimits } from './limits.js';
import { USER_NAME } from './security/credentials.js';
import { CLIENT_AUTH_MODES, KAFKA_SECURITY_PROTOCOLS } from './security/tls.js';

/** Node's timers fire at once for delays above 2^31-1 ms (with a warning): no interval may exceed it. */
const TIMER_MS_MAX = 2 ** 31 - 1;
/** A browser's Origin header: scheme, host (a name or a bracketed IPv6 address) and port, no path. */
const ORIGIN = 'https?://([A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\])(:[0-9]{1,5})?';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** host:port for Kafka clients: a name, an IPv4 or a bracketed IPv6 address, and a port 1-65535. */
const HOST_PORT = '([A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\]):([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])';

/** A DNS name (allowedHosts): labels of letters, digits and hyphens. */
const HOST_NAME = '[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*';
/** security/credentials.ts's USER_NAME, as text for the superUsers pattern. */
const USER_NAME_TEXT = USER_NAME.source.replace(/^\^|\$$/g, '');
/**
 * One piece of superUsers: user principals separated by commas, or one certificate principal (a
 * DN), whose values may hold an escaped `\;` (security/authorizer.ts splits on the others).
 */
const SUPER_USERS = `(User:${USER_NAME_TEXT}(,User:${USER_NAME_TEXT})*|User:[A-Za-z][A-Za-z0-9.-]*=([^;\\\\\\u0000-\\u001f]|\\\\[^\\u0000-\\u001f]){0,1024})`;

// The one grammar of a flush policy is storage's parser; the schema refers to it by format name.
FormatRegistry.Set('spool-flush-policy', (value) => parseFlushPolicy(value) !== null);

/** A tunable limit of broker/limits.ts: its default (and the reason for it) stays in that file. */
function limit(name: keyof typeof brokerLimits, range: { minimum: number; maximum: number }, description: string) {
  return Type.Integer({ ...range, default: brokerLimits[name], description });
}

export const BrokerConfigSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, default: '127.0.0.1', description: 'address to listen on' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 9292, description: 'HTTP port (0: any free port)', short: '-p' }),
    dataDir: Type.String({ minLength: 1, default: './data', description: 'data directory (topics and spool.db)', short: '-d' }),
    flush: Type.Unsafe<FlushPolicy>(
      Type.String({ format: 'spool-flush-policy', default: 'always', description: 'default durability of topics: always | never | interval:<ms>', expected: flushPolicyGrammar }),
    ),
    logLevel: Type.Union(
      LOG_LEVELS.map((level) => Type.Literal(level)),
      { default: 'info', description: `log level: ${LOG_LEVELS.join(' | ')}` },
    ),
    corsOrigin: Type.String({
      pattern: `^(\\*|${ORIGIN}(,${ORIGIN})*)?$`,
      maxLength: 4096,
      default: '',
      description: 'browser origins allowed to call the API: comma-separated origins (https://app.example:8443), * for any, empty for none',
      expected: 'empty, * or comma-separated origins such as https://app.example,http://localhost:5173',
      examples: ['https://app.example,http://localhost:5173'],
    }),
    console: Type.Boolean({ default: true, description: 'serve the web console at /console (--no-console turns it off)' }),
    cleanerIntervalMs: Type.Integer({ minimum: 10, maximum: TIMER_MS_MAX, default: 5 * 60 * 1000, description: 'how often retention, compaction and the stream cleaner run' }),
    streamCleanMinHiddenEvents: Type.Integer({
      minimum: 1,
      maximum: 2 ** 31 - 1,
      default: STREAM_CLEAN_MIN_HIDDEN_EVENTS_DEFAULT,
      description: 'the fewest events a stream\'s metadata hides (maxCount, maxAgeMs, truncateBefore, soft delete) before the cleaner removes them from the disk',
    }),
    kafkaPort: Type.Integer({ minimum: 0, maximum: 65535, default: 9092, description: 'Kafka protocol port (0: no Kafka listener; docs/kafka.md)' }),
    kafkaHost: Type.String({ minLength: 1, default: '127.0.0.1', description: 'address the Kafka listener listens on' }),
    kafkaAdvertisedListener: Type.String({
      pattern: `^(${HOST_PORT})?$`,
      maxLength: 300,
      default: '',
      description: 'host:port Kafka clients are told to connect to (empty: the listener\'s own address)',
      expected: 'empty or host:port, such as kafka.example:9092',
      examples: ['kafka.example:9092'],
    }),
    kafkaAutoCreateTopics: Type.Boolean({ default: true, description: 'Kafka Metadata for an unknown topic creates it (auto.create.topics.enable)' }),
    allowAnonymous: Type.Boolean({ default: false, description: 'listen on a non-loopback address with no users or tokens (anyone who reaches the port can do anything; docs/security.md)' }),
    allowedHosts: Type.String({
      pattern: `^(${HOST_NAME}(,${HOST_NAME})*)?$`,
      maxLength: 4096,
      default: '',
      description: 'host names the HTTP API answers to besides localhost and IP addresses: comma-separated (a Host header naming another is refused, against DNS rebinding)',
      expected: 'empty or comma-separated host names such as spool.example,broker.internal',
      examples: ['spool.example,broker.internal'],
    }),
    superUsers: Type.String({
      pattern: `^(${SUPER_USERS}(;${SUPER_USERS})*)?$`,
      maxLength: 4096,
      default: '',
      description: 'principals allowed everything whatever the ACLs: comma-separated User:<name>, or ;-separated as Kafka\'s super.users for certificate principals (User:CN=admin,O=Example;User:ops)',
      expected: 'empty or comma-separated principals such as User:admin,User:ops (;-separated with certificate principals: User:CN=admin,O=Example;User:ops)',
      examples: ['User:admin'],
    }),
    quotaProduceBytesPerSec: Type.Integer({ minimum: 0, maximum: 2 ** 40, default: 0, description: 'bytes per second each principal may produce, HTTP and Kafka together (0: no quota; docs/security.md#quotas)' }),
    quotaFetchBytesPerSec: Type.Integer({ minimum: 0, maximum: 2 ** 40, default: 0, description: 'bytes per second each principal may fetch, HTTP and Kafka together (0: no quota)' }),
    quotaConnectionsPerPrincipal: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0, description: 'authenticated connections one principal may hold at once, Kafka and HTTP together (a SASL user from SaslAuthenticate, an HTTP one from its first authenticated request, a TLS certificate from the handshake; 0: no quota)' }),
    quotaLiveSubscribersPerPrincipal: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0, description: 'live (SSE) subscriptions one principal may hold at once: topic and pattern tails, stream feeds, beside liveSubscribersMax (0: no quota)' }),
    quotaLongPollsPerPrincipal: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0, description: 'long-polls one principal may have waiting at once: HTTP and Kafka fetches and queue receives, beside longPollsMax (0: no quota)' }),
    quotaControllerMutationsPerSec: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0, description: 'partitions each principal may create, add or delete per second, HTTP and Kafka together (Kafka\'s controller_mutation_rate; 0: no quota)' }),
    quotaPartitionsPerPrincipal: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0, description: 'partitions the topics one principal created may hold in total (0: no quota)' }),
    metricsAuth: Type.Boolean({ default: false, description: 'GET /metrics requires credentials (Describe on the cluster) once the broker has users or tokens; /health stays open' }),
    tlsCert: Type.String({ maxLength: 4096, default: '', description: 'PEM certificate (chain) of both listeners: HTTPS on port, and the Kafka listener unless kafkaSecurityProtocol says otherwise (reloaded on SIGHUP; docs/security.md)' }),
    tlsKey: Type.String({ maxLength: 4096, default: '', description: 'PEM private key of tlsCert (unencrypted: keep the file readable by the broker only)' }),
    tlsCa: Type.String({ maxLength: 4096, default: '', description: 'PEM bundle of the CAs whose client certificates are accepted (tlsClientAuth)' }),
    tlsClientAuth: Type.Union(
      CLIENT_AUTH_MODES.map((mode) => Type.Literal(mode)),
      { default: 'none', description: `client certificates: ${CLIENT_AUTH_MODES.join(' | ')} (optional and required need tlsCa; a verified certificate authenticates as User:<subject DN>)` },
    ),
    kafkaSecurityProtocol: Type.String({
      pattern: `^(${KAFKA_SECURITY_PROTOCOLS.join('|')})?$`,
      default: '',
      description: 'the Kafka listener\'s security.protocol: PLAINTEXT | SSL | SASL_PLAINTEXT | SASL_SSL (empty: SASL_SSL with tlsCert, SASL_PLAINTEXT without)',
      expected: `empty or one of ${KAFKA_SECURITY_PROTOCOLS.join(', ')}`,
      examples: ['SASL_SSL'],
    }),
    bodyBytesMax: limit('bodyBytesMax', { minimum: 1024, maximum: 1024 * 1024 * 1024 }, 'largest request body in bytes'),
    recordsPerRequestMax: limit('recordsPerRequestMax', { minimum: 1, maximum: 10_000_000 }, 'records in one JSON or msgpack produce request'),
    longPollsMax: limit('longPollsMax', { minimum: 1, maximum: 1_000_000 }, 'fetches long-polling at once'),
    liveSubscribersMax: limit('liveSubscribersMax', { minimum: 1, maximum: 1_000_000 }, 'live (SSE) subscribers at once'),
    requestTimeoutMs: limit('requestTimeoutMs', { minimum: 1, maximum: TIMER_MS_MAX }, 'time for a whole request to arrive'),
    keepAliveTimeoutMs: limit('keepAliveTimeoutMs', { minimum: 1, maximum: TIMER_MS_MAX }, 'idle keep-alive connections are closed after this'),
    headersTimeoutMs: limit('headersTimeoutMs', { minimum: 1, maximum: TIMER_MS_MAX }, 'a connection whose request headers have not all arrived (or that sends nothing) is closed after this'),
    shutdownGraceMs: limit('shutdownGraceMs', { minimum: 1, maximum: TIMER_MS_MAX }, 'time for in-flight requests on SIGTERM'),
  },
  { additionalProperties: false },
);

export type BrokerConfig = Readonly<Static<typeof BrokerConfigSchema>>;
export type SettingName = keyof BrokerConfig;

const settings = BrokerConfigSchema.properties as Record<SettingName, TSchema>;
export const settingKeys = Object.keys(settings) as SettingName[];

/** The flag and environment variable of a setting, derived from its name. */
export function settingNames(key: SettingName): { flag: string; env: string; short?: string } {
  const words = key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
  const short = (settings[key] as { short?: string }).short;
  return { flag: `--${words}`, env: `SPOOL_${words.replace(/-/g, '_').toUpperCase()}`, ...(short ? { short } : {}) };
}

export function settingSchema(key: SettingName): TSchema {
  return settings[key];
}

/** The settings that tune broker/limits.ts, for buildBroker to lay over that file's values. */
export function limitsOf(config: BrokerConfig): Partial<BrokerLimits> {
  return Object.fromEntries(Object.entries(config).filter(([key]) => Object.hasOwn(brokerLimits, key)));
}

type Values = Partial<Record<string, unknown>>;

export interface ConfigSources {
  /** Typed values given in code (an embedded broker, tests): named by their key in errors. */
  values?: Values;
  /** Command-line flags as commander parsed them (strings): named `--flag` in errors. */
  flags?: Values;
  /** The environment: only SPOOL_* names of settings are read. An empty variable counts as unset. */
  env?: NodeJS.ProcessEnv;
  /** A JSON file whose keys are settings' keys. */
  configFile?: string;
}

interface Source {
  describe(key: SettingName): string;
  get(key: SettingName): unknown;
  /** Flags and environment variables are text, read as the setting's type; the others are typed. */
  text?: boolean;
}

/** Merges the sources over the defaults, validates each setting, and freezes the result. */
export function loadBrokerConfig({ values = {}, flags = {}, env = {}, configFile }: ConfigSources): BrokerConfig {
  refuseUnknownKeys(Object.keys(values), '');
  const sources: Source[] = [
    { describe: (key) => key, get: (key) => own(values, key) },
    { describe: (key) => settingNames(key).flag, get: (key) => own(flags, key), text: true },
    { describe: (key) => settingNames(key).env, get: (key) => env[settingNames(key).env] || undefined, text: true },
  ];
  if (configFile !== undefined) {
    const file = readConfigFile(configFile);
    sources.push({ describe: (key) => `${configFile}: ${key}`, get: (key) => own(file, key) });
  }
  const config: Record<string, unknown> = {};
  for (const key of settingKeys) {
    const source = sources.find((candidate) => candidate.get(key) !== undefined);
    const schema = settings[key];
    const given = source?.get(key);
    const value = source === undefined ? Value.Clone(schema.default) : source.text ? fromText(schema, given) : given;
    if (!Value.Check(schema, value)) invalid(key, `${source?.describe(key) ?? key} must be ${expectation(schema)}, got ${JSON.stringify(given ?? value)}`);
    config[key] = value;
  }
  config.dataDir = resolve(config.dataDir as string);
  return Object.freeze(config) as BrokerConfig;
}

function own(record: Values, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function invalid(key: string, message: string): never {
  throw new BrokerError('SPOOL_ERR_INVALID_CONFIG', message, { key });
}

function readConfigFile(path: string): Values {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new BrokerError('SPOOL_ERR_INVALID_CONFIG', `cannot read the config file ${path}: ${(error as Error).message}`, { path }, error);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BrokerError('SPOOL_ERR_INVALID_CONFIG', `the config file ${path} is not JSON: ${(error as Error).message}`, { path }, error);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BrokerError('SPOOL_ERR_INVALID_CONFIG', `the config file ${path} must hold a JSON object of settings`, { path });
  }
  refuseUnknownKeys(Object.keys(parsed), `${path}: `);
  return parsed as Values;
}

/** A typo (`flsh`) in a config file or in an embedded broker's options is refused, never ignored. */
function refuseUnknownKeys(keys: string[], where: string): void {
  const unknown = keys.find((key) => !(settingKeys as string[]).includes(key));
  if (unknown === undefined) return;
  const guess = closestName(unknown, settingKeys);
  invalid(unknown, `${where}unknown key ${JSON.stringify(unknown)}${guess ? ` (did you mean ${JSON.stringify(guess)}?)` : ''}; the keys are ${settingKeys.join(', ')}`);
}

/**
 * Flags and environment variables are text: numbers and booleans are read strictly (no `1e3`,
 * `0x10`, `12abc` or empty string), so a typo is an error rather than another number.
 */
function fromText(schema: TSchema, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (schema.type === 'integer' && /^-?\d{1,16}$/.test(value)) return Number(value);
  if (schema.type === 'number' && /^-?\d{1,16}(\.\d{1,16})?$/.test(value)) return Number(value);
  if (schema.type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

/** What a setting accepts, in words, for error messages. */
export function expectation(schema: TSchema): string {
  if (typeof schema.expected === 'string') return schema.expected;
  if (schema.type === 'integer') return `an integer from ${schema.minimum} to ${schema.maximum}`;
  if (schema.type === 'boolean') return 'true or false';
  if (Array.isArray(schema.anyOf)) return `one of ${schema.anyOf.map((option: TSchema) => option.const).join(', ')}`;
  if (schema.type === 'string') return 'a non-empty string';
  return 'valid';
}

/** A host:port setting (kafkaAdvertisedListener, checked by its schema) as host and port. */
export function parseHostPort(text: string): { host: string; port: number } {
  const at = text.lastIndexOf(':');
  return { host: text.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(text.slice(at + 1)) };
}
