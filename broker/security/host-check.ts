/**
 * The Host header check against DNS rebinding: a page on evil.example whose name is re-pointed at
 * 127.0.0.1 makes the browser send requests to the broker with `Host: evil.example` (same origin
 * for the browser, so no CORS check applies). Answered: IP addresses (rebinding needs a name),
 * `localhost`, and the names in allowedHosts; any other name is refused before routing.
 */
import { isIP } from 'node:net';

export function hostChecker(allowedHosts: string): (hostHeader: string | undefined) => boolean {
  const names = new Set(['localhost', ...allowedHosts.split(',').filter((name) => name !== '').map((name) => name.toLowerCase())]);
  // A connection's requests all carry the same Host: the last answer is kept for the next one
  // (a header parsed, sliced and matched against an IP address pattern on every request otherwise).
  let lastHeader: string | undefined;
  let lastAllowed = false;
  return (hostHeader) => {
    // HTTP/1.0 clients may send no Host: they are not browsers.
    if (hostHeader === undefined || hostHeader === '') return true;
    if (hostHeader === lastHeader) return lastAllowed;
    const host = hostName(hostHeader);
    lastAllowed = isIP(host) !== 0 || names.has(host.toLowerCase());
    lastHeader = hostHeader;
    return lastAllowed;
  };
}

/** The name of `host[:port]` or `[v6]:port`, without the port and brackets, without a trailing dot. */
function hostName(header: string): string {
  if (header.startsWith('[')) return header.slice(1, header.indexOf(']') >>> 0);
  const colon = header.lastIndexOf(':');
  const name = colon === -1 ? header : header.slice(0, colon);
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** Loopback addresses, where a broker with no users may run open. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '::ffff:127.0.0.1';
}
