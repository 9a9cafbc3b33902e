/**
 * What the workloads need from a system under test, whatever its protocol. One implementation per
 * system: spool-driver.ts (Spool's own client), spool-kafka-driver.ts (KafkaJS), redis-driver.ts (ioredis, Streams), nats-driver.ts
 * (nats.js, JetStream). A "stream" is a Spool topic of N partitions, or N Redis streams / N NATS
 * JetStream streams, since neither peer partitions one stream.
 */

/** `spool-kafka`: Spool through its Kafka listener (KafkaJS); `spool`: through its own HTTP client. */
export type SystemName = 'spool' | 'spool-kafka' | 'redis' | 'nats';

/** Durability tiers are compared only within a tier, never across. */
export type Tier = 'page-cache' | 'synced';

export interface StreamSpec {
  name: string;
  partitions: number;
}

/** A server of one system at one tier, running in its own process. */
export interface ServerHandle {
  system: SystemName;
  tier: Tier;
  pid: number;
  /** Where clients connect: http://, redis:// or nats://127.0.0.1:<port>. */
  url: string;
  port: number;
  dataDir: string;
  /** How this tier is configured, e.g. "--flush never" or "appendfsync always". */
  durability: string;
  stop(): Promise<void>;
}

export interface ProducerDriver {
  /** Sends `values` to one partition (stream) and resolves once the server acknowledged all of them. */
  send(partition: number, values: Buffer[]): Promise<void>;
  close(): Promise<void>;
}

export interface ConsumerDriver {
  stop(): Promise<void>;
}

/** How a consumer starts: in a consumer group (at-least-once, acknowledging as it goes), or a plain replay from the start. */
export type ConsumeMode = { group: string } | 'replay';

export interface SystemDriver {
  readonly system: SystemName;
  /** Creates the stream, and the named consumer groups at its start, before anything is produced. */
  create(stream: StreamSpec, groups: string[]): Promise<void>;
  /** `latency`: send at once what is given (no linger); `throughput`: batch as the system's client does best. */
  producer(stream: StreamSpec, purpose: 'throughput' | 'latency'): Promise<ProducerDriver>;
  /** Starts reading every partition; `onValue` is called once per record with its value. */
  consumer(stream: StreamSpec, mode: ConsumeMode, onValue: (value: Uint8Array) => void): Promise<ConsumerDriver>;
  close(): Promise<void>;
}

/** A started server and a driver connected to it. */
export interface SystemUnderTest {
  server: ServerHandle;
  driver: SystemDriver;
}
