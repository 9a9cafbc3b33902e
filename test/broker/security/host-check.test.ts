import { describe, expect, it } from 'vitest';
import { hostChecker } from '../../../broker/security/host-check.js';

describe('hostChecker', () => {
  it('answers each Host on its own when requests alternate between allowed and refused names (the last answer is remembered)', () => {
    const allowed = hostChecker('broker.example');
    const headers = ['127.0.0.1:8080', 'evil.example', 'evil.example', 'broker.example:443', '[::1]:80', 'evil.example:8080', 'BROKER.example.', 'localhost', 'evil.example'];
    expect(headers.map((header) => allowed(header))).toEqual([true, false, false, true, true, false, true, true, false]);
    // The same sequence again, from a checker that remembers the last header of the previous one.
    expect(headers.map((header) => allowed(header))).toEqual([true, false, false, true, true, false, true, true, false]);
  });

  it('lets a request without Host through (HTTP/1.0 clients are not browsers), whatever came before', () => {
    const allowed = hostChecker('');
    expect(allowed('evil.example')).toBe(false);
    expect(allowed(undefined)).toBe(true);
    expect(allowed('')).toBe(true);
    expect(allowed('evil.example')).toBe(false);
  });
});
