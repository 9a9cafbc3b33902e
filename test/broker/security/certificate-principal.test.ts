/**
 * Certificate principals (security/certificate-principal.ts): Kafka's DEFAULT RFC 2253 form from
 * node's subject lines, accepted in ACLs and in superUsers (`;`-separated), malformed ones refused.
 */
import { describe, expect, it } from 'vitest';
import { loadBrokerConfig } from '../../../broker/config.js';
import { checkEntry, superUserList } from '../../../broker/security/authorizer.js';
import { CERTIFICATE_PRINCIPAL, principalOfSubject } from '../../../broker/security/certificate-principal.js';

describe('principalOfSubject', () => {
  it('reverses node\'s lines into RFC 2253 order, keeping their escapes', () => {
    expect(principalOfSubject('C=US\nO=Example\\, Inc\nOU=eng\nCN=alice')).toBe('User:CN=alice,OU=eng,O=Example\\, Inc,C=US');
    expect(principalOfSubject('CN=solo')).toBe('User:CN=solo');
  });

  it('gives no principal for an empty subject', () => {
    expect(principalOfSubject('')).toBeNull();
  });
});

describe('certificate principals in ACLs and superUsers', () => {
  const entry = (principal: string) => ({ principal, resourceType: 'topic' as const, resourceName: 'orders', patternType: 'literal' as const, operation: 'Read' as const, permission: 'allow' as const, host: '*' });

  it('accepts a DN principal in an ACL entry', () => {
    expect(() => checkEntry(entry('User:CN=alice,OU=eng,O=Example\\, Inc,C=US'))).not.toThrow();
  });

  it('refuses control characters, a missing attribute type, and a principal past 1024 characters', () => {
    for (const principal of ['User:CN=a\nb', 'User:=alice', 'User:CN alice', `User:CN=${'a'.repeat(1024)}`, 'Group:CN=alice']) {
      expect(CERTIFICATE_PRINCIPAL.test(principal), principal).toBe(false);
      expect(() => checkEntry(entry(principal)), principal).toThrow(expect.objectContaining({ code: 'SPOOL_ERR_INVALID_PRINCIPAL' }));
    }
  });

  it('splits superUsers on ; with certificate principals, on , without', () => {
    expect(superUserList('User:admin,User:ops')).toEqual(['User:admin', 'User:ops']);
    expect(superUserList('User:CN=admin,O=Example;User:ops,User:dev')).toEqual(['User:CN=admin,O=Example', 'User:ops', 'User:dev']);
    expect(loadBrokerConfig({ values: { superUsers: 'User:CN=admin,O=Example;User:ops' } }).superUsers).toBe('User:CN=admin,O=Example;User:ops');
    expect(() => loadBrokerConfig({ values: { superUsers: 'User:CN=admin\u0001' } })).toThrow(/superUsers must be/);
  });
});
