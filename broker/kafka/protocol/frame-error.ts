/**
 * A frame that cannot be decoded (truncated, forged lengths, unknown API or version). It is not a
 * SpoolError: nothing answers it. The connection that sent it is closed with a log line, as Kafka
 * does, and the other connections go on.
 */
export class KafkaFrameError extends Error {
  override name = 'KafkaFrameError';
}
