/** The ACL decision of Kafka's authorizer: deny wins, implied operations, patterns, wildcards, hosts. */
import { describe, expect, it } from 'vitest';
import { type AccessRequest, type AclEntry, decide } from '../../../broker/security/acl.js';

const entry = (over: Partial<AclEntry>): AclEntry => ({ principal: 'User:alice', resourceType: 'topic', resourceName: 'orders', patternType: 'literal', operation: 'Read', permission: 'allow', host: '*', ...over });
const read = (resourceName: string, over: Partial<AccessRequest> = {}): AccessRequest => ({ operation: 'Read', resourceType: 'topic', resourceName, ...over });

describe('ACL decisions', () => {
  it('denies without any matching allow (allow.everyone.if.no.acl.found=false)', () => {
    expect(decide([], 'User:alice', '127.0.0.1', read('orders'))).toBe(false);
    expect(decide([entry({ principal: 'User:bob' })], 'User:alice', '127.0.0.1', read('orders'))).toBe(false);
    expect(decide([entry({ resourceType: 'group' })], 'User:alice', '127.0.0.1', read('orders'))).toBe(false);
  });

  it('allows a literal, a prefixed and a wildcard match, and User:* for everyone', () => {
    expect(decide([entry({})], 'User:alice', '1.2.3.4', read('orders'))).toBe(true);
    expect(decide([entry({})], 'User:alice', '1.2.3.4', read('orders2'))).toBe(false);
    expect(decide([entry({ resourceName: 'ord', patternType: 'prefixed' })], 'User:alice', '1.2.3.4', read('orders'))).toBe(true);
    expect(decide([entry({ resourceName: '*' })], 'User:alice', '1.2.3.4', read('anything'))).toBe(true);
    expect(decide([entry({ principal: 'User:*' })], 'User:alice', '1.2.3.4', read('orders'))).toBe(true);
  });

  it('lets a deny win over any allow, including All', () => {
    const entries = [entry({ operation: 'All' }), entry({ permission: 'deny', resourceName: 'ord', patternType: 'prefixed' })];
    expect(decide(entries, 'User:alice', '1.2.3.4', read('orders'))).toBe(false);
    expect(decide(entries, 'User:alice', '1.2.3.4', read('orders', { operation: 'Write' }))).toBe(true);
    expect(decide([entry({ operation: 'All' }), entry({ operation: 'All', permission: 'deny' })], 'User:alice', '1.2.3.4', read('orders', { operation: 'Delete' }))).toBe(false);
  });

  it('implies Describe from Read, Write, Delete and Alter, and DescribeConfigs from AlterConfigs, never the reverse', () => {
    for (const operation of ['Read', 'Write', 'Delete', 'Alter'] as const) {
      expect(decide([entry({ operation })], 'User:alice', 'h', read('orders', { operation: 'Describe' })), operation).toBe(true);
    }
    expect(decide([entry({ operation: 'AlterConfigs' })], 'User:alice', 'h', read('orders', { operation: 'DescribeConfigs' }))).toBe(true);
    expect(decide([entry({ operation: 'Describe' })], 'User:alice', 'h', read('orders'))).toBe(false);
    expect(decide([entry({ operation: 'Create' })], 'User:alice', 'h', read('orders', { operation: 'Describe' }))).toBe(false);
  });

  it('matches a host exactly, or * for any', () => {
    expect(decide([entry({ host: '10.0.0.1' })], 'User:alice', '10.0.0.1', read('orders'))).toBe(true);
    expect(decide([entry({ host: '10.0.0.1' })], 'User:alice', '10.0.0.2', read('orders'))).toBe(false);
  });

  it('covers a topic pattern only by a prefix of its literal words or by *', () => {
    const prefixOnly = { prefixOnly: true };
    expect(decide([entry({ resourceName: 'orders.', patternType: 'prefixed' })], 'User:alice', 'h', read('orders.', prefixOnly))).toBe(true);
    expect(decide([entry({ resourceName: 'orders.' })], 'User:alice', 'h', read('orders.', prefixOnly))).toBe(false);
    expect(decide([entry({ resourceName: 'orders.eu', patternType: 'prefixed' })], 'User:alice', 'h', read('orders.', prefixOnly))).toBe(false);
    expect(decide([entry({ resourceName: '*' })], 'User:alice', 'h', read('', prefixOnly))).toBe(true);
  });

  it('refuses a prefix that any deny could overlap: a longer literal, a longer or shorter prefixed, a wildcard', () => {
    const allow = entry({ resourceName: 'orders.', patternType: 'prefixed' });
    const prefixOnly = { prefixOnly: true };
    for (const deny of [entry({ permission: 'deny', resourceName: 'orders.secret', operation: 'All' }), entry({ permission: 'deny', resourceName: 'orders.eu', patternType: 'prefixed' }), entry({ permission: 'deny', resourceName: 'ord', patternType: 'prefixed' }), entry({ permission: 'deny', resourceName: '*' })]) {
      expect(decide([allow, deny], 'User:alice', 'h', read('orders.', prefixOnly)), JSON.stringify(deny)).toBe(false);
    }
    expect(decide([allow, entry({ permission: 'deny', resourceName: 'logs.x' }), entry({ permission: 'deny', resourceName: 'orders.x', operation: 'Write' })], 'User:alice', 'h', read('orders.', prefixOnly))).toBe(true);
  });

  it('matches an IPv4 host against its IPv4-mapped IPv6 form (a :: listener), both ways, and IPv6 in any spelling', () => {
    const deny = (host: string) => [entry({ operation: 'All' }), entry({ permission: 'deny', host })];
    expect(decide(deny('127.0.0.1'), 'User:alice', '::ffff:127.0.0.1', read('orders'))).toBe(false);
    expect(decide(deny('::ffff:127.0.0.1'), 'User:alice', '127.0.0.1', read('orders'))).toBe(false);
    expect(decide(deny('::FFFF:7f00:1'), 'User:alice', '127.0.0.1', read('orders'))).toBe(false);
    expect(decide(deny('2001:db8::1'), 'User:alice', '2001:0DB8:0:0::1', read('orders'))).toBe(false);
    expect(decide(deny('127.0.0.2'), 'User:alice', '::ffff:127.0.0.1', read('orders'))).toBe(true);
  });
});
