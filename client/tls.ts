/**
 * TLS toward an `https://` broker (docs/security.md): the CAs to trust when the broker's
 * certificate is not signed by a public one, and a client certificate when the broker asks for one
 * (tlsClientAuth). PEM contents, not file names: the CLI reads its --ca, --cert and --key files.
 * Verification of the broker's certificate and name is node's own and always on.
 */
import { SpoolClientError } from './errors.js';

export interface ClientTlsOptions {
  /** PEM CA certificate(s) the broker's certificate must chain to (default: node's public CAs). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** PEM client certificate (chain) and its unencrypted key: the principal becomes User:<subject DN>. */
  cert?: string | Buffer;
  key?: string | Buffer;
}

/** undici's `connect` options for these settings; refuses TLS settings for an http:// URL (they would be silently unused) and a cert without its key. */
export function tlsConnectOptions(url: string, tls: ClientTlsOptions | undefined): ClientTlsOptions | undefined {
  if (tls === undefined) return undefined;
  if (!url.startsWith('https:')) {
    throw SpoolClientError.local('SPOOL_ERR_INVALID_ARGUMENT', `tls options need an https:// url, got ${url}`, { url });
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw SpoolClientError.local('SPOOL_ERR_INVALID_ARGUMENT', 'tls.cert and tls.key go together: give both or neither', { field: tls.cert === undefined ? 'cert' : 'key' });
  }
  return { ...(tls.ca === undefined ? {} : { ca: tls.ca }), ...(tls.cert === undefined ? {} : { cert: tls.cert, key: tls.key }) };
}
