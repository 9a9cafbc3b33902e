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
  private releaseHeld: () => void = () => {};
  private ended = false;

  /**
   * `certificate`: the principal of a verified TLS client certificate (SSL, SASL_SSL) and the
   * release of its connection quota; SASL may still authenticate as a user over it.
   */
  constructor(readonly address: string, certificate: { principal: string; releaseConnection: () => void } | null = null) {
    this.principal = certificate?.principal ?? null;
    if (certificate) this.releaseHeld = certificate.releaseConnection;
  }

  /**
   * Swaps the connection-quota slot this connection holds (quotaConnectionsPerPrincipal) for a new
   * principal's. A slot taken after the connection closed (it closed during an awaited SASL step)
   * is given back at once: the close already released what it knew of, and would never come again.
   */
  holdConnection(release: () => void): void {
    this.releaseHeld();
    this.releaseHeld = release;
    if (this.ended) this.releaseConnection();
  }

  /** At the connection's close: gives back its slot, and any taken later. */
  releaseConnection(): void {
    this.ended = true;
    const release = this.releaseHeld;
    this.releaseHeld = () => {};
    release();
  }
}
