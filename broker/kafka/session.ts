/**
 * What one Kafka connection knows about its client: its address and its principal, from a
 * verified TLS client certificate or, once SASL succeeded, the user's. On a broker without users
 * or tokens nothing is checked (as the HTTP API runs open); once principals exist, a connection
 * must authenticate (a client certificate, or SaslHandshake and SaslAuthenticate) before any API
 * but ApiVersions and the SASL ones (kafka/authorization.ts).
 */
import type { SaslExchange, SaslMechanism } from '../security/sasl.js';

export class KafkaSession {
  principal: string | null;
  mechanism: SaslMechanism | null = null;
  exchange: SaslExchange | null = null;
  /** Gives back the principal's connection (quotaConnectionsPerPrincipal) when the connection closes. */
  releaseConnection: () => void = () => {};

  /**
   * `certificate`: the principal of a verified TLS client certificate (SSL, SASL_SSL) and the
   * release of its connection quota; SASL may still authenticate as a user over it.
   */
  constructor(readonly address: string, certificate: { principal: string; releaseConnection: () => void } | null = null) {
    this.principal = certificate?.principal ?? null;
    if (certificate) this.releaseConnection = certificate.releaseConnection;
  }
}
