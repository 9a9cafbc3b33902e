/**
 * undici, loaded at a client's first request rather than when the client is imported: an embedded
 * broker imports the client (for its `client()`), and most never make one. undici is the largest
 * package an idle broker loaded (111 modules, 1.2 MB of source; issue 22: idle memory).
 */
let loading: Promise<typeof import('undici')> | null = null;

export function loadUndici(): Promise<typeof import('undici')> {
  loading ??= import('undici');
  return loading;
}
