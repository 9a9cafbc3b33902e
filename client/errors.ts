/**
 * The client's error registry. Errors answered by the broker keep the broker's code, status and
 * context (`SPOOL_ERR_TOPIC_NOT_FOUND`, ...); errors raised here have codes of their own.
 * `retriable` says whether trying the same request again may succeed.
 */
export interface ClientErrorSpec {
  retriable: boolean;
  description: string;
}

export const clientErrors = {
  SPOOL_ERR_NETWORK: { retriable: true, description: 'The broker could not be reached, or the connection broke mid-request.' },
  SPOOL_ERR_REQUEST_TIMEOUT: { retriable: true, description: 'The broker did not answer within the request timeout.' },
  SPOOL_ERR_CLIENT_CLOSED: { retriable: false, description: 'The producer, consumer or connection was closed.' },
  SPOOL_ERR_REPLY_TIMEOUT: { retriable: false, description: 'No reply arrived for a request within timeoutMs.' },
  SPOOL_ERR_RESPONDER_FAILED: { retriable: false, description: 'The responder\'s handler threw for this request; the message is the handler\'s.' },
  SPOOL_ERR_CODEC: { retriable: false, description: 'A value could not be encoded or decoded by the chosen codec.' },
  SPOOL_ERR_INVALID_ARGUMENT: { retriable: false, description: 'An argument passed to the client is invalid.' },
} as const satisfies Record<string, ClientErrorSpec>;

export type ClientErrorCode = keyof typeof clientErrors;

export class SpoolClientError extends Error {
  override name = 'SpoolClientError';
  constructor(
    readonly code: string,
    message: string,
    readonly retriable: boolean,
    /** HTTP status when the broker answered; 0 otherwise. */
    readonly status = 0,
    readonly context: Record<string, unknown> = {},
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }

  static local(code: ClientErrorCode, message: string, context: Record<string, unknown> = {}, cause?: unknown): SpoolClientError {
    return new SpoolClientError(code, message, clientErrors[code].retriable, 0, context, cause);
  }
}
