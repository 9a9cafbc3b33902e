/**
 * Record headers of request/reply (as in JMS and AMQP's reply-to/correlation-id):
 *   reply-to        the topic the reply goes to (the requester's temporary reply topic)
 *   correlation-id  a request's id, copied onto its reply
 *   deadline        ms since epoch after which the requester no longer waits: responders skip it
 *   spool-error     on a reply: the responder's handler failed with this message (the value is null)
 */
export const REPLY_TO_HEADER = 'reply-to';
export const CORRELATION_ID_HEADER = 'correlation-id';
export const DEADLINE_HEADER = 'deadline';
export const ERROR_HEADER = 'spool-error';
