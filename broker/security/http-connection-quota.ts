/**
 * quotaConnectionsPerPrincipal on the HTTP listener, in the same count per principal as the Kafka
 * listener's (quotas.ts), so one setting bounds what a principal holds on both:
 *
 *   verified client certificate   its principal holds a slot from the handshake on (as on Kafka),
 *                                 so silent TLS connections count too
 *   Bearer, Basic, session cookie the connection holds a slot of the principal of its first
 *                                 authenticated request; a keep-alive connection whose later
 *                                 request authenticates as another principal moves its slot
 *   over the quota                the request is answered 429 SPOOL_ERR_QUOTA_EXCEEDED (`limit`
 *                                 quotaConnectionsPerPrincipal) with Retry-After and the
 *                                 connection closed after the answer, so the client learns why
 *   open broker, public routes    nothing authenticates, nothing is counted (as on Kafka)
 *
 * A slot is given back when its connection closes.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { AuditLog } from './audit.js';
import { certificatePrincipal } from './certificate-principal.js';
import type { Quotas } from './quotas.js';
import { admitSecureConnection } from './tls-connections.js';

interface Held {
  principal: string;
  release: () => void;
}

export class HttpConnectionQuota {
  private readonly held = new WeakMap<Socket, Held>();

  constructor(
    private readonly quotas: Quotas,
    private readonly audit: AuditLog,
  ) {}

  /**
   * Holds a slot of `principal` for `socket` (nothing when it holds one already); throws 429
   * SPOOL_ERR_QUOTA_EXCEEDED when the principal holds its maximum, keeping any slot held before.
   */
  hold(socket: Socket, principal: string): void {
    // Off (the default): no entry and no close listener per connection.
    if (!this.quotas.counting('connections')) return;
    const held = this.held.get(socket);
    if (held?.principal === principal) return;
    let release: () => void;
    try {
      release = this.quotas.take('connections', principal);
    } catch (error) {
      this.audit({ action: 'quota', principal, address: socket.remoteAddress ?? null, outcome: 'failure', listener: 'http', reason: 'quotaConnectionsPerPrincipal' });
      throw error;
    }
    // The client may have hung up while its request was authenticated (an awaited password check):
    // its 'close' has fired already and will not again, so the slot goes back at once.
    if (socket.destroyed) {
      release();
      return;
    }
    if (held) {
      held.release();
      Object.assign(held, { principal, release });
      return;
    }
    const entry: Held = { principal, release };
    this.held.set(socket, entry);
    socket.once('close', () => entry.release());
  }

  /** At a TLS handshake: a certificate principal's slot, or false when it holds its maximum (its first request is then refused). */
  admit(socket: Socket, principal: string): boolean {
    try {
      this.hold(socket, principal);
      return true;
    } catch {
      return false;
    }
  }
}

/** The HTTPS listener at each finished handshake: the checks of tls-connections.ts, then a certificate principal's slot. */
export function admitHttpsConnection(socket: TLSSocket, audit: AuditLog, quota: HttpConnectionQuota | null): void {
  if (!admitSecureConnection(socket, 'http', audit)) return;
  const principal = certificatePrincipal(socket);
  if (principal !== null) quota?.admit(socket, principal);
}
