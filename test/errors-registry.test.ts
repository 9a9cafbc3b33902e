/**
 * Pins every error code of the three registries: a code is never removed or renamed silently,
 * never shared between registries, and each one is documented in docs/errors.md with its status.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokerErrors } from '../broker/errors.js';
import { clientErrors } from '../client/errors.js';
import { storageErrors } from '../storage/errors.js';

const docs = readFileSync(join(import.meta.dirname, '../docs/errors.md'), 'utf8');

/**
 * The source of storage/, broker/ and client/ without the registries' own entries (a line
 * `SPOOL_ERR_X: {` defines a code; any other mention is a use: a throw, a mapping, a check).
 */
function sourceUses(): string {
  const root = join(import.meta.dirname, '..');
  const files = ['storage', 'broker', 'client'].flatMap((folder) =>
    (readdirSync(join(root, folder), { recursive: true }) as string[]).filter((name) => name.endsWith('.ts')).map((name) => join(root, folder, name)),
  );
  return files
    .map((file) => readFileSync(file, 'utf8'))
    .join('\n')
    .split('\n')
    .filter((line) => !/^\s*SPOOL_ERR_[A-Z_]+: \{/.test(line))
    .join('\n');
}

describe('error registries', () => {
  it('pins the storage codes', () => {
    expect(Object.keys(storageErrors).sort()).toMatchInlineSnapshot(`
      [
        "SPOOL_ERR_BACKPRESSURE",
        "SPOOL_ERR_CORRUPT_ANSWER",
        "SPOOL_ERR_CORRUPT_BATCH",
        "SPOOL_ERR_DECOMPRESSED_TOO_LARGE",
        "SPOOL_ERR_DISK_FULL",
        "SPOOL_ERR_INVALID_BATCH",
        "SPOOL_ERR_IO",
        "SPOOL_ERR_LOG_CLOSED",
        "SPOOL_ERR_MESSAGE_TOO_LARGE",
        "SPOOL_ERR_NOT_A_DATA_DIR",
        "SPOOL_ERR_OFFSET_MISMATCH",
        "SPOOL_ERR_OFFSET_OUT_OF_RANGE",
        "SPOOL_ERR_OUT_OF_ORDER_SEQUENCE",
        "SPOOL_ERR_PRODUCER_FENCED",
        "SPOOL_ERR_STREAMS_NOT_ENABLED",
        "SPOOL_ERR_STREAM_ERASED",
        "SPOOL_ERR_STREAM_WRONG_PARTITION",
        "SPOOL_ERR_TOO_MANY_STREAM_METADATA",
        "SPOOL_ERR_TOO_MANY_WAITERS",
        "SPOOL_ERR_UNSUPPORTED_COMPRESSION",
        "SPOOL_ERR_UNSUPPORTED_MAGIC",
        "SPOOL_ERR_WRONG_EXPECTED_VERSION",
      ]
    `);
  });

  it('pins the broker codes', () => {
    expect(Object.keys(brokerErrors).sort()).toMatchInlineSnapshot(`
      [
        "SPOOL_ERR_BAD_REQUEST",
        "SPOOL_ERR_CROSS_ORIGIN",
        "SPOOL_ERR_DATA_DIR_LOCKED",
        "SPOOL_ERR_FENCED",
        "SPOOL_ERR_FORBIDDEN",
        "SPOOL_ERR_GROUP_NOT_EMPTY",
        "SPOOL_ERR_GROUP_NOT_FOUND",
        "SPOOL_ERR_GROUP_PROTOCOL",
        "SPOOL_ERR_HOST_NOT_ALLOWED",
        "SPOOL_ERR_INTERNAL",
        "SPOOL_ERR_INVALID_CONFIG",
        "SPOOL_ERR_INVALID_PRINCIPAL",
        "SPOOL_ERR_INVALID_PRODUCER_EPOCH",
        "SPOOL_ERR_INVALID_TOPIC_NAME",
        "SPOOL_ERR_LAST_PRINCIPAL",
        "SPOOL_ERR_MALFORMED_BODY",
        "SPOOL_ERR_PARTITION_NOT_FOUND",
        "SPOOL_ERR_PATTERN_TOO_LONG",
        "SPOOL_ERR_PAYLOAD_TOO_LARGE",
        "SPOOL_ERR_QUEUE_NOT_FOUND",
        "SPOOL_ERR_QUOTA_EXCEEDED",
        "SPOOL_ERR_RECEIPT_EXPIRED",
        "SPOOL_ERR_RECEIPT_UNKNOWN",
        "SPOOL_ERR_ROUTE_NOT_FOUND",
        "SPOOL_ERR_SESSION_FRAME",
        "SPOOL_ERR_SHUTTING_DOWN",
        "SPOOL_ERR_STREAM_NOT_FOUND",
        "SPOOL_ERR_TLS_FILE",
        "SPOOL_ERR_TOKEN_NOT_FOUND",
        "SPOOL_ERR_TOO_MANY_CONNECTIONS",
        "SPOOL_ERR_TOO_MANY_GROUPS",
        "SPOOL_ERR_TOO_MANY_MEMBERS",
        "SPOOL_ERR_TOO_MANY_PARTITIONS",
        "SPOOL_ERR_TOO_MANY_PRINCIPALS",
        "SPOOL_ERR_TOO_MANY_SUBSCRIBERS",
        "SPOOL_ERR_TOO_MANY_TOPICS",
        "SPOOL_ERR_TOPIC_EXISTS",
        "SPOOL_ERR_TOPIC_NOT_FOUND",
        "SPOOL_ERR_UNAUTHENTICATED",
        "SPOOL_ERR_UNKNOWN_MEMBER",
        "SPOOL_ERR_UNKNOWN_PRODUCER_ID",
        "SPOOL_ERR_UNSUPPORTED_MEDIA_TYPE",
        "SPOOL_ERR_UPGRADE_REQUIRED",
        "SPOOL_ERR_USER_NOT_FOUND",
      ]
    `);
  });

  it('pins the client codes', () => {
    expect(Object.keys(clientErrors).sort()).toMatchInlineSnapshot(`
      [
        "SPOOL_ERR_CLIENT_CLOSED",
        "SPOOL_ERR_CODEC",
        "SPOOL_ERR_INVALID_ARGUMENT",
        "SPOOL_ERR_NETWORK",
        "SPOOL_ERR_REPLY_TIMEOUT",
        "SPOOL_ERR_REQUEST_TIMEOUT",
        "SPOOL_ERR_RESPONDER_FAILED",
      ]
    `);
  });

  it('never uses one code in two registries', () => {
    const all = [...Object.keys(storageErrors), ...Object.keys(brokerErrors), ...Object.keys(clientErrors)];
    expect(new Set(all).size).toBe(all.length);
  });

  it('documents every code with its status', () => {
    for (const [code, spec] of Object.entries({ ...storageErrors, ...brokerErrors })) {
      expect(docs, code).toMatch(new RegExp(`\\| \`${code}\` \\| ${spec.status} \\|`));
    }
    for (const code of Object.keys(clientErrors)) expect(docs, code).toContain(`\`${code}\``);
  });

  it('documents exactly the codes the code can answer: none documented that nothing raises, none raised undocumented', () => {
    const uses = sourceUses();
    const documented = [...docs.matchAll(/\| `(SPOOL_ERR_[A-Z_]+)` \|/g)].map((match) => match[1]!);
    expect(documented.filter((code) => !uses.includes(`'${code}'`))).toEqual([]);
    const registered = new Set([...Object.keys(storageErrors), ...Object.keys(brokerErrors), ...Object.keys(clientErrors)]);
    const raised = new Set([...uses.matchAll(/'(SPOOL_ERR_[A-Z_]+)'/g)].map((match) => match[1]!));
    expect([...raised].filter((code) => !registered.has(code))).toEqual([]);
    expect([...registered].filter((code) => !documented.includes(code))).toEqual([]);
  });

  it('gives every code a status that fits its class', () => {
    for (const spec of Object.values({ ...storageErrors, ...brokerErrors })) {
      expect(spec.status).toBeGreaterThanOrEqual(400);
      expect(spec.status).toBeLessThan(600);
      if (spec.status === 429 || spec.status === 503) expect(spec.retriable).toBe(true);
    }
  });
});
