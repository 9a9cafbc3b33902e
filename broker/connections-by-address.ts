/**
 * Open connections per client address, for the per-address caps of both listeners (HTTP's
 * connectionsPerAddressMax, Kafka's kafkaConnectionsPerAddressMax): one place that counts a
 * socket until it closes and forgets an address with none left.
 */
import type { Socket } from 'node:net';

export class ConnectionsByAddress {
  private readonly counts = new Map<string, number>();

  of(address: string): number {
    return this.counts.get(address) ?? 0;
  }

  /** Counts `socket` under its address until it closes; answers the address's count with it. */
  track(socket: Socket): number {
    const address = socket.remoteAddress ?? '';
    const count = this.of(address) + 1;
    this.counts.set(address, count);
    socket.once('close', () => {
      const left = this.of(address) - 1;
      if (left === 0) this.counts.delete(address);
      else this.counts.set(address, left);
    });
    return count;
  }
}
