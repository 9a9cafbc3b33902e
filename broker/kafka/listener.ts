/**
 * The Kafka listener: a TCP server beside the HTTP API, one KafkaConnection per client. close()
 * stops accepting and ends every connection (in-flight requests finish against the services,
 * which close after it).
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { KafkaServices } from './context.js';
import { KafkaConnection } from './connection.js';

export class KafkaListener {
  private readonly server: Server;
  private readonly connections = new Set<KafkaConnection>();

  constructor(private readonly services: KafkaServices) {
    this.server = createServer((socket: Socket) => {
      if (this.connections.size >= services.limits.kafkaConnectionsMax) {
        services.log.warn({ remote: socket.remoteAddress, connections: this.connections.size }, 'kafka: refusing a connection past kafkaConnectionsMax');
        socket.destroy();
        return;
      }
      const connection = new KafkaConnection(socket, services);
      this.connections.add(connection);
      socket.once('close', () => this.connections.delete(connection));
    });
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
