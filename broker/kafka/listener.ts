/**
 * The Kafka listener: a TCP server (a TLS one for SSL and SASL_SSL) beside the HTTP API, one
 * KafkaConnection per client. close() stops accepting and ends every connection (in-flight
 * requests finish against the services, which close after it).
 *
 * The protocol stack (connection, codecs, message definitions, handlers) is loaded at the first
 * connection: an embedded broker listens for Kafka by default, and most never see a Kafka client;
 * loaded at start it was ~3-5 MB of heap and ~8 MB of RSS of every idle broker (issue 22).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import { ConnectionsByAddress } from '../connections-by-address.js';
import { certificatePrincipal } from '../security/certificate-principal.js';
import { admitSecureConnection, auditHandshakeFailures } from '../security/tls-connections.js';
import type { KafkaConnection } from './connection.js';
import type { KafkaServices } from './context.js';
import { FrameBuffers } from './frame-buffers.js';

let protocolStack: Promise<typeof import('./connection.js')> | null = null;

export class KafkaListener {
  private readonly server: Server;
  /** The TLS server (SSL, SASL_SSL) whose certificates a reload swaps; null in plaintext. */
  readonly tlsServer: TlsServer | null;
  private readonly connections = new Set<KafkaConnection>();
  /** Accepted while the protocol stack loads: paused, so their bytes wait in the socket. */
  private readonly waiting = new Set<Socket>();
  /** Open TCP connections per client address (kafkaConnectionsPerAddressMax). */
  private readonly byAddress = new ConnectionsByAddress();
  /** Large frames' receive buffers, reused by every connection. */
  private readonly frames: FrameBuffers;

  /** `tls`: the listener speaks TLS (security/tls.ts); a verified client certificate is the connection's first principal. */
  constructor(private readonly services: KafkaServices, tls: TlsOptions | null = null) {
    this.frames = new FrameBuffers(services.limits.kafkaFrameBuffersBytesMax);
    const accept = (socket: Socket) => {
      this.waiting.add(socket);
      protocolStack ??= import('./connection.js');
      protocolStack.then(
        ({ KafkaConnection }) => this.serve(socket, KafkaConnection),
        (error: unknown) => {
          this.waiting.delete(socket);
          services.log.error({ err: error }, 'kafka: the protocol modules failed to load');
          socket.destroy();
        },
      );
    };
    if (tls === null) {
      this.tlsServer = null;
      this.server = createServer();
    } else {
      const { audit } = services.security;
      this.tlsServer = createTlsServer(tls, (socket: TLSSocket) => {
        if (admitSecureConnection(socket, 'kafka', audit)) accept(socket);
      });
      auditHandshakeFailures(this.tlsServer, 'kafka', audit);
      this.server = this.tlsServer;
    }
    this.limitConnections(tls === null ? accept : null);
  }

  /**
   * Counts connections at TCP accept, before a TLS handshake: past kafkaConnectionsMax node closes
   * them unread (maxConnections), past kafkaConnectionsPerAddressMax they are closed here.
   * Counted after the handshake, silent TCP clients of the TLS listener were never counted.
   */
  private limitConnections(acceptPlain: ((socket: Socket) => void) | null): void {
    const { limits, log } = this.services;
    this.server.maxConnections = limits.kafkaConnectionsMax;
    this.server.on('drop', (dropped) => log.warn({ remote: dropped?.remoteAddress }, 'kafka: refusing a connection past kafkaConnectionsMax'));
    this.server.on('connection', (socket: Socket) => {
      const open = this.byAddress.of(socket.remoteAddress ?? '');
      if (open >= limits.kafkaConnectionsPerAddressMax) {
        log.warn({ remote: socket.remoteAddress, connections: open }, 'kafka: refusing a connection past kafkaConnectionsPerAddressMax');
        socket.destroy();
        return;
      }
      this.byAddress.track(socket);
      acceptPlain?.(socket);
    });
  }

  /**
   * The principal of a verified client certificate, holding one of its connections
   * (quotaConnectionsPerPrincipal, as SaslAuthenticate does for a user); null without one;
   * undefined when the quota refused it and the socket was closed.
   */
  private certificate(socket: Socket): { principal: string; releaseConnection: () => void } | null | undefined {
    const principal = certificatePrincipal(socket);
    if (principal === null) return null;
    const { quotas, audit } = this.services.security;
    const releaseConnection = quotas.hold('connections', principal);
    if (releaseConnection === null) {
      audit({ action: 'authenticate', principal, address: socket.remoteAddress ?? null, outcome: 'failure', listener: 'kafka', scheme: 'tls', reason: 'quotaConnectionsPerPrincipal' });
      socket.destroy();
      return undefined;
    }
    return { principal, releaseConnection };
  }

  private serve(socket: Socket, Connection: typeof KafkaConnection): void {
    if (!this.waiting.delete(socket)) return; // close() ended it meanwhile
    if (socket.destroyed) return;
    const certificate = this.certificate(socket);
    if (certificate === undefined) return;
    const connection = new Connection(socket, this.services, this.frames, certificate);
    this.connections.add(connection);
    socket.once('close', () => this.connections.delete(connection));
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
    for (const socket of this.waiting) socket.destroy();
    this.waiting.clear();
    if (this.server.listening) await closed;
  }
}
