/**
 * What both TLS listeners do with a connection around its handshake, audited alike:
 *
 *   handshake fails           (a plaintext client, a wrong or expired client certificate with
 *                             tlsClientAuth required, no certificate when required, no handshake
 *                             within headersTimeoutMs): closed, audited as `tls.handshake` failure
 *                             with the reason
 *   certificate unverified    (tlsClientAuth optional lets the handshake finish): closed here
 *   verified certificate      audited once per connection as `authenticate` with scheme `tls`
 */
import type { Server, TLSSocket } from 'node:tls';
import type { AuditLog } from './audit.js';
import { certificatePrincipal, unverifiedCertificate } from './certificate-principal.js';

export type ListenerName = 'http' | 'kafka';

export function auditHandshakeFailures(server: Server, listener: ListenerName, audit: AuditLog): void {
  server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
    audit({ action: 'tls.handshake', principal: null, address: socket.remoteAddress ?? null, outcome: 'failure', listener, reason: error.message.slice(0, 200) });
    // node destroys the socket itself only when nobody listens to tlsClientError: a handshake
    // timeout otherwise left a silent client's socket open for good.
    socket.destroy();
  });
}

/** Checks a connection whose handshake finished; answers false when it was refused (and destroyed). */
export function admitSecureConnection(socket: TLSSocket, listener: ListenerName, audit: AuditLog): boolean {
  const address = socket.remoteAddress ?? null;
  const unverified = unverifiedCertificate(socket);
  if (unverified !== null) {
    audit({ action: 'tls.handshake', principal: null, address, outcome: 'failure', listener, reason: `client certificate refused: ${unverified}` });
    socket.destroy();
    return false;
  }
  const principal = certificatePrincipal(socket);
  if (principal !== null) audit({ action: 'authenticate', principal, address, outcome: 'success', listener, scheme: 'tls' });
  return true;
}
