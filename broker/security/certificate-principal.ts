/**
 * The principal of a client certificate, in Kafka's DEFAULT form of ssl.principal.mapping.rules:
 * `User:` and the subject's distinguished name as RFC 2253 writes it (X500Principal.getName()),
 * most specific first, e.g. `User:CN=alice,OU=eng,O=Example\, Inc,C=US`. ACLs name it so, and it
 * cannot be mistaken for a password user: user names hold no `=` (credentials.ts).
 *
 * Only a certificate the handshake verified against tlsCa counts; an unverified one, or one
 * with an empty subject, gives no principal. node's X509Certificate.subject lists the RDNs one a
 * line in certificate order (country first), values already escaped (`\,`): reversed and joined
 * with commas they are the RFC 2253 string.
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

/** Longest principal an ACL names: a DN of a dozen attributes fits (Kafka sets no bound; a table row must). */
export const PRINCIPAL_CHARS_MAX = 1024;

/** A certificate principal in an ACL: `User:` and a distinguished name, printable, bounded. */
export const CERTIFICATE_PRINCIPAL = new RegExp(`^(?=.{1,${PRINCIPAL_CHARS_MAX}}$)User:[A-Za-z][A-Za-z0-9.-]*=[^\\u0000-\\u001f\\u007f]*$`, 's');

const principals = new WeakMap<Socket, string | null>();

/** `User:<subject DN>` of the verified client certificate on this socket, or null (remembered per connection). */
export function certificatePrincipal(socket: Socket): string | null {
  if (!(socket instanceof TLSSocket)) return null;
  let principal = principals.get(socket);
  if (principal === undefined) {
    principal = socket.authorized ? principalOfSubject(socket.getPeerX509Certificate()?.subject ?? '') : null;
    principals.set(socket, principal);
  }
  return principal;
}

export function principalOfSubject(subject: string): string | null {
  const names = subject.split('\n').filter((line) => line !== '');
  return names.length === 0 ? null : `User:${names.reverse().join(',')}`;
}

/**
 * Why a handshake must end although node let it through: with tlsClientAuth optional
 * (rejectUnauthorized off, so a client without a certificate may go on), a client that sent a
 * certificate tlsCa does not verify (another CA, expired) is refused all the same.
 */
export function unverifiedCertificate(socket: TLSSocket): string | null {
  if (socket.authorized || socket.getPeerX509Certificate() === undefined) return null;
  return String(socket.authorizationError ?? 'the client certificate does not verify');
}
