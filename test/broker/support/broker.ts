/**
 * Spool's own end-to-end tests start their brokers through the public embedded entry point
 * (broker/embedded.ts, `spool-broker/broker`), so the whole suite exercises it. This wrapper keeps
 * the tests' shorthand: Kafka off unless `kafka: true`, flush=always unless `flush`, faults and
 * other console builds injected, and restart() on the same data directory.
 */
import { rm } from 'node:fs/promises';
import type { Broker } from '../../../broker/app.js';
import type { SettingName } from '../../../broker/config.js';
import { type BrokerSettings, type EmbeddedBroker, startEmbeddedBroker } from '../../../broker/embedded.js';
import { type FileSystem, type FlushPolicy, nodeFileSystem } from '../../../storage/index.js';
import type { BrokerLimits } from '../../../broker/limits.js';

export interface TestBroker {
  url: string;
  /** The Kafka listener's address (`kafka: true`), e.g. 127.0.0.1:39411. */
  kafka: { host: string; port: number; address: string } | null;
  dataDir: string;
  broker: Broker;
  embedded: EmbeddedBroker;
  /** Closes the broker (and keeps the data directory unless `remove`). */
  close(remove?: boolean): Promise<void>;
  /** Closes and starts a new broker on the same data directory. */
  restart(): Promise<TestBroker>;
}

/** `port`: a fixed port (a restart then comes back on it, so clients reconnect by themselves); default a free one. */
export interface StartOptions {
  dataDir?: string;
  flush?: FlushPolicy;
  fileSystem?: FileSystem;
  limits?: Partial<BrokerLimits>;
  port?: number;
  /** Other settings of broker/config.ts (corsOrigin, cleanerIntervalMs, kafkaAutoCreateTopics...). */
  settings?: Partial<Record<SettingName, unknown>>;
  /** The web console's built files (default dist/console). */
  consoleDir?: string;
  /** Also run the Kafka listener, on a free port (never 9092); off by default. */
  kafka?: boolean;
}

export async function startBroker(options: StartOptions = {}): Promise<TestBroker> {
  // keepData: close(false) and restart() keep the directory; close() removes it here.
  const embedded = await startEmbeddedBroker(
    { ...(options.settings as BrokerSettings), flush: options.flush ?? 'always', port: options.port ?? 0, kafka: options.kafka === true, limits: options.limits, keepData: true, ...(options.dataDir ? { dataDir: options.dataDir } : {}) },
    { fileSystem: options.fileSystem, consoleDir: options.consoleDir },
  );
  const { url, dataDir, broker, kafkaBootstrap } = embedded;
  const kafkaPort = kafkaBootstrap ? Number(kafkaBootstrap.slice(kafkaBootstrap.lastIndexOf(':') + 1)) : 0;
  return {
    url,
    kafka: kafkaBootstrap ? { host: embedded.config.kafkaHost, port: kafkaPort, address: kafkaBootstrap } : null,
    dataDir,
    broker,
    embedded,
    async close(remove = true) {
      await embedded.close();
      if (remove) await rm(dataDir, { recursive: true, force: true });
    },
    async restart() {
      await embedded.close();
      return startBroker({ ...options, dataDir });
    },
  };
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
