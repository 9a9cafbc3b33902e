/**
 * The broker's error registry (storage's codes live in storage/errors.ts, on the same base class).
 * Every code is stable, documented in docs/errors.md, and pinned by test/broker/errors.test.ts.
 */
import { type ErrorContext, type ErrorSpec, SpoolError } from '../storage/errors.js';

export const brokerErrors = {
  SPOOL_ERR_BAD_REQUEST: { status: 400, retriable: false, description: 'The request does not match the route\'s schema: an unknown, missing or invalid field, parameter or query parameter (named in `field`), or a bound (`limit`) broken.' },
  SPOOL_ERR_MALFORMED_BODY: { status: 400, retriable: false, description: 'The body is not valid JSON or msgpack.' },
  SPOOL_ERR_INVALID_TOPIC_NAME: { status: 400, retriable: false, description: 'Topic names are 1-249 of A-Z a-z 0-9 . _ - and do not start with "." (the error names the field that held the name).' },
  SPOOL_ERR_INVALID_CONFIG: { status: 400, retriable: false, description: 'A topic config key, or a setting of `spool serve` (flag, SPOOL_* variable or config-file key), is unknown or out of range; the message names it and what is accepted.' },
  SPOOL_ERR_TOPIC_NOT_FOUND: { status: 404, retriable: false, description: 'No topic has this name.' },
  SPOOL_ERR_PARTITION_NOT_FOUND: { status: 404, retriable: false, description: 'The topic has no such partition.' },
  SPOOL_ERR_ROUTE_NOT_FOUND: { status: 404, retriable: false, description: 'No route has this method and path.' },
  SPOOL_ERR_TOPIC_EXISTS: { status: 409, retriable: false, description: 'A topic with this name exists already.' },
  SPOOL_ERR_PAYLOAD_TOO_LARGE: { status: 413, retriable: false, description: 'The request body is larger than the broker\'s body limit.' },
  SPOOL_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, retriable: false, description: 'The Content-Type is not application/json, application/x-msgpack or application/vnd.spool.batch.' },
  SPOOL_ERR_PATTERN_TOO_LONG: { status: 413, retriable: false, description: 'A topic pattern has more words than patternWordsMax (the answer names the limit).' },
  SPOOL_ERR_TOO_MANY_CONNECTIONS: { status: 429, retriable: true, description: 'The broker, or this client address, holds its maximum of open connections (connectionsMax, connectionsPerAddressMax); the connection is closed after this answer.' },
  SPOOL_ERR_TOO_MANY_TOPICS: { status: 429, retriable: true, description: 'The broker holds its maximum of topics (topicsMax); room comes back as topics are deleted.' },
  SPOOL_ERR_TOO_MANY_PARTITIONS: { status: 429, retriable: true, description: 'The topic would take the broker past its maximum of partitions (partitionsMax); room comes back as topics are deleted.' },
  SPOOL_ERR_TOO_MANY_MEMBERS: { status: 429, retriable: true, description: 'The consumer group has its maximum of members (membersPerGroupMax).' },
  SPOOL_ERR_TOO_MANY_GROUPS: { status: 429, retriable: true, description: 'The broker holds its maximum of consumer groups (groupsMax); empty groups expire after groupRetentionMs.' },
  SPOOL_ERR_QUOTA_EXCEEDED: { status: 429, retriable: true, description: 'The principal is over one of its quotas, named in `limit` with its value in `max`: it produced or fetched more bytes than quotaProduceBytesPerSec or quotaFetchBytesPerSec allow, or holds its maximum of connections (quotaConnectionsPerPrincipal: this connection is closed after the answer), live subscriptions (quotaLiveSubscribersPerPrincipal) or waiting long-polls (quotaLongPollsPerPrincipal); it created, added or deleted partitions faster than quotaControllerMutationsPerSec allows; or its topics would hold more partitions than quotaPartitionsPerPrincipal (`topic` named). Wait `Retry-After` seconds (docs/security.md#quotas).' },
  SPOOL_ERR_TOO_MANY_SUBSCRIBERS: { status: 429, retriable: true, description: 'The broker already serves its maximum of long-polls, live subscribers or queue sessions (longPollsMax, liveSubscribersMax, queueSessionsMax).' },
  SPOOL_ERR_SHUTTING_DOWN: { status: 503, retriable: true, description: 'The broker is shutting down and takes no new requests.' },
  SPOOL_ERR_GROUP_NOT_FOUND: { status: 404, retriable: false, description: 'No consumer group has this name.' },
  SPOOL_ERR_UNKNOWN_MEMBER: { status: 404, retriable: false, description: 'The member left or its session expired: join the group again.' },
  SPOOL_ERR_FENCED: { status: 409, retriable: false, description: 'A commit with a stale generation, or for a partition the member does not own.' },
  SPOOL_ERR_DATA_DIR_LOCKED: { status: 409, retriable: true, description: 'Another process holds the data directory (a broker, or spool check --repair): one broker per data directory. The error names the holder (pid, host, since when).' },
  SPOOL_ERR_UNKNOWN_PRODUCER_ID: { status: 400, retriable: false, description: 'A batch carries a producer id this broker never issued: get one from POST /v1/producers (Kafka: InitProducerId).' },
  SPOOL_ERR_INVALID_PRODUCER_EPOCH: { status: 400, retriable: false, description: 'A batch carries a producer epoch newer than the one the broker issued for its producer id.' },
  SPOOL_ERR_GROUP_NOT_EMPTY: { status: 409, retriable: false, description: 'The group still has live members: delete needs an empty group, and so does an offset reset of a Kafka group (its consumers would commit over it).' },
  SPOOL_ERR_GROUP_PROTOCOL: { status: 409, retriable: false, description: 'The group id has live members of the other protocol (HTTP or Kafka): a group id is used by one protocol at a time (Kafka: INCONSISTENT_GROUP_PROTOCOL).' },
  SPOOL_ERR_STREAM_NOT_FOUND: { status: 404, retriable: false, description: 'The stream has no event: its metadata cannot be set before its first append (an entry per id never written would fill the partition\'s metadata table).' },
  SPOOL_ERR_QUEUE_NOT_FOUND: { status: 404, retriable: false, description: 'No queue (share group) of this name on this topic: create it with PUT first.' },
  SPOOL_ERR_RECEIPT_UNKNOWN: { status: 404, retriable: false, description: 'Per receipt in an ack/nack/reject answer: the receipt is malformed, or names no message of this queue.' },
  SPOOL_ERR_RECEIPT_EXPIRED: { status: 409, retriable: false, description: 'Per receipt in an ack/nack/reject answer: the message was delivered again since (its visibility timeout ran out), or was settled already.' },
  SPOOL_ERR_SESSION_FRAME: { status: 400, retriable: false, description: 'A queue session frame (docs/http-api.md#queue-sessions) is malformed, truncated, of an unknown type or text, or breaks a bound (`field` names it, `limit` the bound: queueSessionReceiptsPerFrameMax, queueSessionCreditMax, queueSessionReasonBytesMax, a visibilityMs or delayMs out of range): the broker sends an ERROR frame and closes the session with WebSocket status 4400.' },
  SPOOL_ERR_UPGRADE_REQUIRED: { status: 426, retriable: false, description: 'A queue session route was called without a WebSocket upgrade (`Connection: Upgrade`, `Upgrade: websocket`): it speaks only WebSocket; plain HTTP clients use POST .../receive and .../ack.' },
  SPOOL_ERR_UNAUTHENTICATED: { status: 401, retriable: false, description: 'The broker requires credentials (users or tokens exist, docs/security.md) and the request had none, or wrong ones: send `Authorization: Bearer <token>` or Basic user:password (browsers: the session cookie from POST /v1/session). The answer carries `WWW-Authenticate`.' },
  SPOOL_ERR_FORBIDDEN: { status: 403, retriable: false, description: 'The principal is authenticated but no ACL allows the operation on the resource (or one denies it); the error names `principal`, `operation`, `resourceType` and `resource`.' },
  SPOOL_ERR_CROSS_ORIGIN: { status: 403, retriable: false, description: 'A state-changing request (not GET or HEAD) authenticated by the session cookie alone, or by a client certificate a browser sent (it has `Origin` or `Sec-Fetch-Site`), came from another origin: it needs `Sec-Fetch-Site: same-origin` or an `Origin` naming the request\'s `Host` (a page on a sibling port of localhost shares the SameSite=Strict cookie). Send `Authorization` instead from other origins.' },
  SPOOL_ERR_HOST_NOT_ALLOWED: { status: 421, retriable: false, description: 'The `Host` header names none of the broker\'s names (allowedHosts, its listen address, localhost): a page steered at the broker by DNS rebinding is refused.' },
  SPOOL_ERR_INVALID_PRINCIPAL: { status: 400, retriable: false, description: 'A user name is not 1-128 of A-Z a-z 0-9 . _ @ + - or is the reserved ANONYMOUS, or a principal is not `User:<name>` (or `User:*` or a certificate\'s `User:<subject DN>` in an ACL); `field` names it.' },
  SPOOL_ERR_USER_NOT_FOUND: { status: 404, retriable: false, description: 'No user has this name.' },
  SPOOL_ERR_TOKEN_NOT_FOUND: { status: 404, retriable: false, description: 'No API token has this id.' },
  SPOOL_ERR_LAST_PRINCIPAL: { status: 409, retriable: false, description: 'Removing this user or token would leave the broker with none while it listens beyond loopback without allowAnonymous (it would then be open to the network): add another user or token first.' },
  SPOOL_ERR_TOO_MANY_PRINCIPALS: { status: 429, retriable: true, description: 'The broker holds its maximum of users, tokens or ACL entries (usersMax, tokensMax, aclsMax); room comes back as some are removed.' },
  SPOOL_ERR_TLS_FILE: { status: 400, retriable: false, description: 'A TLS file of the config (tlsCert, tlsKey or tlsCa, named in `key` and `path`) is missing, unreadable, not a regular file, larger than tlsFileBytesMax (1 MiB) or not PEM, or the key does not match the certificate: the broker refuses to start. On a reload (SIGHUP) the certificates in use stay and the error is logged.' },
  SPOOL_ERR_INTERNAL: { status: 500, retriable: true, description: 'An unexpected error; the broker log has the details.' },
} as const satisfies Record<string, ErrorSpec>;

export type BrokerErrorCode = keyof typeof brokerErrors;

export class BrokerError extends SpoolError {
  override name = 'BrokerError';
  constructor(code: BrokerErrorCode, message: string, context: ErrorContext = {}, cause?: unknown) {
    super(code, brokerErrors[code], message, context, cause);
  }
}
