/**
 * Spool's topic configs under Kafka's dotted names (retention.ms <-> retentionMs, ...), with the
 * type DescribeConfigs reports. Values travel as strings on the Kafka wire; they are parsed here
 * and checked by the topic service like an HTTP request's. `spool.flush` is Spool's own (Kafka's
 * flush.messages/flush.ms have no exact match).
 */
import { defaultLogConfig, type LogConfig } from '../../storage/index.js';
import { BrokerError } from '../errors.js';
import type { TopicConfigInput } from '../topics/topic-config.js';

type ConfigKey = keyof TopicConfigInput;
type ValueKind = 'long' | 'int' | 'double' | 'list' | 'string';

/** Kafka's ConfigType enum (DescribeConfigs v3+). */
const CONFIG_TYPE: Record<ValueKind, number> = { string: 2, int: 3, long: 5, double: 6, list: 7 };

const table: ReadonlyArray<[kafkaName: string, key: ConfigKey, kind: ValueKind]> = [
  ['cleanup.policy', 'cleanupPolicy', 'list'],
  ['delete.retention.ms', 'deleteRetentionMs', 'long'],
  ['index.interval.bytes', 'indexIntervalBytes', 'int'],
  ['max.message.bytes', 'maxMessageBytes', 'int'],
  ['min.cleanable.dirty.ratio', 'minCleanableDirtyRatio', 'double'],
  ['min.compaction.lag.ms', 'minCompactionLagMs', 'long'],
  ['retention.bytes', 'retentionBytes', 'long'],
  ['retention.ms', 'retentionMs', 'long'],
  ['segment.bytes', 'segmentBytes', 'int'],
  ['segment.ms', 'segmentMs', 'long'],
  ['spool.flush', 'flush', 'string'],
];

const byKafkaName = new Map(table.map(([name, key, kind]) => [name, { key, kind }]));

function invalid(name: string, message: string): never {
  throw new BrokerError('SPOOL_ERR_INVALID_CONFIG', `${name}: ${message}`, { key: name });
}

function parseValue(name: string, kind: ValueKind, value: string): unknown {
  if (kind === 'string') return value;
  if (kind === 'list') {
    const policies = value.split(',').map((part) => part.trim()).sort();
    return policies.join(','); // "delete,compact" and "compact,delete" are one policy
  }
  const pattern = kind === 'double' ? /^-?\d+(\.\d+)?$/ : /^-?\d{1,16}$/;
  if (!pattern.test(value)) invalid(name, `${JSON.stringify(value)} is not ${kind === 'double' ? 'a number' : 'an integer'}`);
  return Number(value);
}

/** Kafka config entries as Spool's config input; an unknown name or a malformed value throws. */
export function fromKafkaConfigs(entries: Array<{ name: string; value: string | null }>): TopicConfigInput {
  const config: Record<string, unknown> = {};
  for (const { name, value } of entries) {
    const known = byKafkaName.get(name);
    if (!known) invalid(name, 'not a topic config Spool has (see docs/kafka.md)');
    if (value === null) invalid(name, 'a value is required');
    config[known.key] = parseValue(name, known.kind, value);
  }
  return config as TopicConfigInput;
}

/** The default of a config, under its Kafka name (for a DELETE of an override). */
export function defaultOf(name: string, brokerFlush: string): string {
  const known = byKafkaName.get(name);
  if (!known) invalid(name, 'not a topic config Spool has (see docs/kafka.md)');
  return known.key === 'flush' ? brokerFlush : String(defaultLogConfig[known.key as keyof LogConfig]);
}

export interface DescribedConfig {
  name: string;
  value: string;
  isDefault: boolean;
  configType: number;
}

/** Every config of a topic under its Kafka name, marking those equal to the default. */
export function toKafkaConfigs(config: LogConfig, brokerFlush: string): DescribedConfig[] {
  return table.map(([name, key, kind]) => {
    const value = String(config[key as keyof LogConfig]);
    const fallback = key === 'flush' ? brokerFlush : String(defaultLogConfig[key as keyof LogConfig]);
    return { name, value, isDefault: value === fallback, configType: CONFIG_TYPE[kind] };
  });
}
