/**
 * Open HTTP connections, counted in total and per client address. A connection past
 * connectionsMax or connectionsPerAddressMax is still accepted, so that its first request can be
 * answered 429 SPOOL_ERR_TOO_MANY_CONNECTIONS (a client then learns why, where a dropped connection
 * looks like a network fault), then closed. Past connectionsHardMax the server drops connections
 * at accept (node's maxConnections), so refused clients cannot run the broker out of descriptors.
 */
import type { Socket } from 'node:net';
import { ConnectionsByAddress } from '../connections-by-address.js';
import type { BrokerLimits } from '../limits.js';

export type ConnectionLimits = Pick<BrokerLimits, 'connectionsMax' | 'connectionsPerAddressMax' | 'connectionsHardMax' | 'headersTimeoutMs'>;

const closeSilent = new WeakMap<Socket, () => void>();

export class ConnectionCounter {
  private readonly byAddress = new ConnectionsByAddress();
  private readonly refused = new WeakMap<Socket, 'connectionsMax' | 'connectionsPerAddressMax'>();
  open = 0;

  constructor(readonly limits: ConnectionLimits) {}

  /** Counts a new connection until it closes, and notes whether it is over a limit. */
  admit(socket: Socket): void {
    const fromAddress = this.byAddress.track(socket);
    this.open++;
    if (this.open > this.limits.connectionsMax) this.refused.set(socket, 'connectionsMax');
    else if (fromAddress > this.limits.connectionsPerAddressMax) this.refused.set(socket, 'connectionsPerAddressMax');
    // node's headersTimeout starts with the first byte: a connection that sends nothing at all
    // would be kept until keepAliveTimeout, so it gets the same time for its first request here.
    const destroy = () => socket.destroy();
    socket.setTimeout(this.limits.headersTimeoutMs, destroy);
    closeSilent.set(socket, destroy);
    socket.once('close', () => this.open--);
  }

  /** The connection sent a whole request: from now on node's own timeouts apply. */
  requested(socket: Socket): void {
    const destroy = closeSilent.get(socket);
    if (!destroy) return;
    closeSilent.delete(socket);
    socket.setTimeout(0);
    socket.removeListener('timeout', destroy);
  }

  /** The limit this connection is over, or undefined when it is within them. */
  refusal(socket: Socket): { limit: 'connectionsMax' | 'connectionsPerAddressMax'; max: number } | undefined {
    const limit = this.refused.get(socket);
    return limit ? { limit, max: this.limits[limit] } : undefined;
  }
}
