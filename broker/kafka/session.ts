/**
 * What one Kafka connection knows about its client: its address and, once SASL succeeded, its
 * principal. On a broker without users or tokens nothing is checked (as the HTTP API runs open);
 * once principals exist, a connection must authenticate (SaslHandshake, SaslAuthenticate) before
 * any API but ApiVersions and the SASL ones (kafka/authorization.ts).
 */
import type { SaslExchange, SaslMechanism } from '../security/sasl.js';

export class KafkaSession {
  principal: string | null = null;
  mechanism: SaslMechanism | null = null;
  exchange: SaslExchange | null = null;
  /** Gives back the principal's connection (quotaConnectionsPerPrincipal) when the connection closes. */
  releaseConnection: () => void = () => {};

  constructor(readonly address: string) {}
}
