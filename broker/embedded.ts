/**
 * The embedded broker: `import { startBroker } from 'spool-broker/broker'` runs a whole broker in
 * the calling process, for tests (one per file or per test, on a temporary directory, no Docker)
 * and for single-process apps that want a durable local log or queue. docs/embedded.md.
 *
 * Its options are the settings of `spool serve` (broker/config.ts), validated by the same
 * loadBrokerConfig into the same frozen config object: a setting added there is an option here
 * with nothing to do. Only the defaults differ, for a broker nobody configured:
 *
 *   dataDir    a fresh temporary directory, removed by close() (unless keepData)
 *   port       0: a free port (url says which)
 *   kafkaPort  0: a free port too (kafkaBootstrap says which); `kafka: false` runs no listener
 *   logLevel   silent (or `logger`: fastify's logger options or a pino logger)
 *
 * close() is idempotent and leaves nothing running: the clients client() made, the listeners,
 * timers, worker thread and files are closed, so the process can exit by itself
 * (test/broker/embedded-exit.test.ts runs one that must).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool, type SpoolOptions } from '../client/index.js';
import { type Broker, type BuildOptions, buildBroker } from './app.js';
import { type BrokerConfig, loadBrokerConfig } from './config.js';
import { BrokerError } from './errors.js';
import type { BrokerLimits } from './limits.js';

/** Every setting of `spool serve`, by its config-file key (docs/configuration.md). */
export type BrokerSettings = { -readonly [K in keyof BrokerConfig]?: BrokerConfig[K] };

export interface StartBrokerOptions extends BrokerSettings {
  /** Keep the temporary data directory after close() (to look at it, or to start on it again). */
  keepData?: boolean;
  /** Run the Kafka listener (default true; on kafkaPort, 0 meaning a free port). */
  kafka?: boolean;
  /** Logs: fastify's logger options (pino's, e.g. `{ level: 'debug' }`) or a pino logger. Default: none. */
  logger?: BuildOptions['logger'];
  /** Overrides of the limits in broker/limits.ts (short group retention, small caps...) for tests. */
  limits?: Partial<BrokerLimits>;
}

export interface EmbeddedBroker {
  /** The HTTP API, e.g. http://127.0.0.1:41233 (https:// with tlsCert). */
  readonly url: string;
  /** host:port of the Kafka listener, for KafkaJS's `brokers: [kafkaBootstrap]`; null with `kafka: false`. */
  readonly kafkaBootstrap: string | null;
  readonly dataDir: string;
  /** The validated settings the broker runs with. */
  readonly config: BrokerConfig;
  /** A client connected to this broker; close() closes it too. */
  client(options?: Omit<SpoolOptions, 'url'>): Spool;
  /** Deletes every topic, consumer group and queue: a clean broker for the next test. */
  reset(): Promise<void>;
  /** Reads the TLS files (tlsCert, tlsKey, tlsCa) again, as SIGHUP does for `spool serve`; false when TLS is off or the files are bad (the old ones stay). */
  reloadTls(): boolean;
  /** Stops the broker, closes the clients client() made, removes the temporary data directory. */
  close(): Promise<void>;
}

/** What Spool's own tests inject besides the public options (faulty disks, another console build). */
export interface TestInternals {
  fileSystem?: BuildOptions['fileSystem'];
  consoleDir?: string;
}

export async function startBroker(options: StartBrokerOptions = {}): Promise<EmbeddedBroker> {
  const { broker: _internal, ...handle } = await startEmbeddedBroker(options);
  return handle;
}

/** startBroker() for Spool's tests: the same broker, with what they inject, answering its internals too. */
export async function startEmbeddedBroker(options: StartBrokerOptions, internals: TestInternals = {}): Promise<EmbeddedBroker & { broker: Broker }> {
  const { keepData = false, kafka = true, logger, limits, ...settings } = options;
  if (!kafka && settings.kafkaPort !== undefined && settings.kafkaPort !== 0) {
    throw new BrokerError('SPOOL_ERR_INVALID_CONFIG', `kafkaPort ${settings.kafkaPort} asks for a Kafka listener that kafka: false turns off`, { key: 'kafkaPort' });
  }
  const temporaryDir = settings.dataDir === undefined ? await mkdtemp(join(tmpdir(), 'spool-')) : null;
  const removeTemporaryDir = async () => {
    if (temporaryDir !== null && !keepData) await rm(temporaryDir, { recursive: true, force: true });
  };
  try {
    const config = loadBrokerConfig({ values: { logLevel: 'silent', ...settings, port: settings.port ?? 0, kafkaPort: settings.kafkaPort ?? 0, dataDir: settings.dataDir ?? temporaryDir! } });
    const broker = await buildBroker({
      config,
      logger: logger ?? (config.logLevel === 'silent' ? false : { level: config.logLevel }),
      limits,
      kafkaOnFreePort: kafka && config.kafkaPort === 0,
      ...internals,
    });
    const { url, kafka: kafkaAddress } = await broker.listen().catch(async (error: unknown) => {
      await broker.close();
      throw error;
    });
    return embeddedHandle(broker, config, url, kafkaAddress, removeTemporaryDir);
  } catch (error) {
    await removeTemporaryDir();
    throw error;
  }
}

function embeddedHandle(broker: Broker, config: BrokerConfig, url: string, kafka: { host: string; port: number } | null, removeTemporaryDir: () => Promise<void>) {
  const clients = new Set<Spool>();
  let closed: Promise<void> | null = null;
  return {
    url,
    kafkaBootstrap: kafka ? `${kafka.host.includes(':') ? `[${kafka.host}]` : kafka.host}:${kafka.port}` : null,
    dataDir: config.dataDir,
    config,
    broker,
    client(options: Omit<SpoolOptions, 'url'> = {}) {
      const client = new Spool({ ...options, url });
      clients.add(client);
      return client;
    },
    reset: () => broker.reset(),
    reloadTls: () => broker.reloadTls(),
    close() {
      closed ??= (async () => {
        // Clients first: their consumers commit and leave, their producers flush, while the broker still answers.
        await Promise.allSettled([...clients].map((client) => client.close()));
        await broker.close();
        await removeTemporaryDir();
      })();
      return closed;
    },
  };
}
