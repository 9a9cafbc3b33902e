/** Starts a real broker on a free port with a temporary data directory, for end-to-end tests. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBroker, type Broker } from '../../../broker/app.js';
import { loadBrokerConfig, type SettingName } from '../../../broker/config.js';
import { type FileSystem, nodeFileSystem } from '../../../storage/index.js';
import type { BrokerLimits } from '../../../broker/limits.js';

export interface TestBroker {
  url: string;
  /** The Kafka listener's address (`kafka: true`), e.g. 127.0.0.1:39411. */
  kafka: { host: string; port: number; address: string } | null;
  dataDir: string;
  broker: Broker;
  /** Closes the broker (and keeps the data directory unless `remove`). */
  close(remove?: boolean): Promise<void>;
  /** Closes and starts a new broker on the same data directory. */
  restart(): Promise<TestBroker>;
}

/** `port`: a fixed port (a restart then comes back on it, so clients reconnect by themselves); default a free one. */
export interface StartOptions {
  dataDir?: string;
  flush?: string;
  fileSystem?: FileSystem;
  limits?: Partial<BrokerLimits>;
  port?: number;
  /** Other settings of broker/config.ts (corsOrigin, cleanerIntervalMs, kafkaAutoCreateTopics...). */
  settings?: Partial<Record<SettingName, unknown>>;
  /** The web console's built files (default dist/console). */
  consoleDir?: string;
  /** Also run the Kafka listener, on a free port (never 9092); off by default (kafkaPort 0). */
  kafka?: boolean;
}

export async function startBroker(options: StartOptions = {}): Promise<TestBroker> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'spool-broker-')));
  const config = loadBrokerConfig({ values: { kafkaPort: 0, ...options.settings, port: options.port ?? 0, dataDir, flush: options.flush ?? 'always', logLevel: 'silent' } });
  const broker = await buildBroker({ config, logger: false, fileSystem: options.fileSystem, limits: options.limits, consoleDir: options.consoleDir, kafkaOnFreePort: options.kafka === true });
  const { url, kafka } = await broker.listen();
  const handle: TestBroker = {
    url,
    kafka: kafka ? { ...kafka, address: `${kafka.host}:${kafka.port}` } : null,
    dataDir,
    broker,
    async close(remove = true) {
      await broker.close();
      if (remove) await rm(dataDir, { recursive: true, force: true });
    },
    async restart() {
      await broker.close();
      return startBroker({ ...options, dataDir });
    },
  };
  return handle;
}

export interface JsonAnswer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export async function call<T = any>(url: string, init: RequestInit & { json?: unknown } = {}): Promise<JsonAnswer<T>> {
  const { json, ...rest } = init;
  const response = await fetch(url, {
    ...rest,
    ...(json !== undefined ? { body: JSON.stringify(json), headers: { 'content-type': 'application/json', ...(rest.headers ?? {}) } } : {}),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text.length > 0 ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: body as T };
}

/** High watermark and bytes of every partition: compared before and after a rejected request. */
export async function logState(url: string, topic: string): Promise<Array<{ highWatermark: number; bytes: number }>> {
  const answer = await call(`${url}/v1/topics/${topic}`);
  return answer.body.partitionDetails.map((p: { highWatermark: number; bytes: number }) => ({ highWatermark: p.highWatermark, bytes: p.bytes }));
}

/** A file system whose writes can be held back: the disk "stalls" until release(). */
export function stallableFileSystem(): { fs: FileSystem; stall(): void; release(): void } {
  let stalled: Promise<void> | null = null;
  let wake: () => void = () => undefined;
  return {
    fs: {
      ...nodeFileSystem,
      writev: async (fd, buffers, position) => {
        if (stalled) await stalled;
        return nodeFileSystem.writev(fd, buffers, position);
      },
    },
    stall() {
      stalled = new Promise((resolve) => (wake = resolve));
    },
    release() {
      stalled = null;
      wake();
    },
  };
}
