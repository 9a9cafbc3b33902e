/**
 * One spelling per IP address, so an ACL's host matches however a socket or an admin writes it:
 * an IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, what a `::` listener reports for an IPv4
 * client) becomes its IPv4 form, any other IPv6 address its full lower-case form. Anything that
 * is not an IP address is returned as it is.
 */
import { isIPv4, isIPv6 } from 'node:net';

export function canonicalAddress(address: string): string {
  if (!isIPv6(address)) return address;
  const groups = ipv6Groups(address.toLowerCase());
  const mapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  if (mapped) return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  return groups.map((group) => group.toString(16)).join(':');
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a trailing dotted IPv4 split). */
function ipv6Groups(address: string): number[] {
  let text = address.split('%')[0]!;
  const dotted = text.slice(text.lastIndexOf(':') + 1);
  if (isIPv4(dotted)) {
    const bytes = dotted.split('.').map(Number);
    text = `${text.slice(0, text.length - dotted.length)}${((bytes[0]! << 8) | bytes[1]!).toString(16)}:${((bytes[2]! << 8) | bytes[3]!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').map((group) => parseInt(group, 16)) : []);
  const front = parse(head);
  const back = parse(tail);
  return tail === undefined ? front : [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}

/**
 * The network an address is counted by for failed logins: an IPv4 address itself, an IPv6
 * address its /64 (one host or home commonly gets a whole /64, so counting single IPv6 addresses
 * would give a guesser 2^64 fresh starts).
 */
export function addressNetwork(address: string): string {
  const canonical = canonicalAddress(address);
  if (!isIPv6(canonical)) return canonical;
  return `${canonical.split(':').slice(0, 4).join(':')}::/64`;
}
