/** The broker's address as given by a user (`new Spool({url})`, SPOOL_URL, `spool --url`), checked once. */
import { SpoolClientError } from './errors.js';

export const DEFAULT_URL = 'http://127.0.0.1:9292';

/** Returns the base URL without trailing slashes; anything but http(s)://host[:port][/path] is refused. */
export function brokerUrl(url: string): string {
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    // refused below, with the expected form
  }
  const refuse = (why: string): never => {
    throw SpoolClientError.local('SPOOL_ERR_INVALID_ARGUMENT', `url ${why}, such as ${DEFAULT_URL}; got ${JSON.stringify(url)}`, { url });
  };
  if (parsed === null) return refuse('must be the broker\'s http(s) URL');
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return refuse('must start with http:// or https://');
  if (parsed.search !== '' || parsed.hash !== '' || parsed.username !== '' || parsed.password !== '') return refuse('takes no query, fragment or credentials');
  return url.replace(/\/+$/, '');
}
