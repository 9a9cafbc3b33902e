/**
 * The Kafka listener: a TCP server (a TLS one for SSL and SASL_SSL) beside the HTTP API, one
 * KafkaConnection per client. close()
 * stops accepting and ends every connection (in-flight requests finish against the services,
 * which close after it).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import { certificatePrincipal } from '../security/certificate-principal.js';
import { admitSecureConnection, auditHandshakeFailures } from '../security/tls-connections.js';
import type { KafkaServices } from './context.js';
import { KafkaConnection } from './connection.js';

export class KafkaListener {
  private readonly server: Server;
  /** The TLS server (SSL, SASL_SSL) whose certificates a reload swaps; null in plaintext. */
  readonly tlsServer: TlsServer | null;
  private readonly connections = new Set<KafkaConnection>();

  /** `tls`: the listener speaks TLS (security/tls.ts); a verified client certificate is the connection's first principal. */
  constructor(private readonly services: KafkaServices, tls: TlsOptions | null = null) {
    const accept = (socket: Socket) => {
      if (this.connections.size >= services.limits.kafkaConnectionsMax) {
        services.log.warn({ remote: socket.remoteAddress, connections: this.connections.size }, 'kafka: refusing a connection past kafkaConnectionsMax');
        socket.destroy();
        return;
      }
      const connection = new KafkaConnection(socket, services, certificatePrincipal(socket));
      this.connections.add(connection);
      socket.once('close', () => this.connections.delete(connection));
    };
    if (tls === null) {
      this.tlsServer = null;
      this.server = createServer(accept);
      return;
    }
    const { audit } = services.security;
    this.tlsServer = createTlsServer(tls, (socket: TLSSocket) => {
      if (admitSecureConnection(socket, 'kafka', audit)) accept(socket);
    });
    auditHandshakeFailures(this.tlsServer, 'kafka', audit);
    this.server = this.tlsServer;
  }

  /** Listens; answers the bound address (port 0 picks a free one). */
  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        // Past start-up an accept error (EMFILE...) is logged, never thrown into the process.
        this.server.on('error', (error) => this.services.log.error({ err: error }, 'kafka: listener error'));
        const address = this.server.address();
        resolve({ host, port: typeof address === 'object' && address ? address.port : port });
      });
    });
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) connection.close();
    if (this.server.listening) await closed;
  }
}
