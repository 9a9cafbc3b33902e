/** The delay table on a fake clock: growth, cap, forgetting on success and after a quiet time, bounded memory. */
import { describe, expect, it } from 'vitest';
import { FailedLoginDelay } from '../../../broker/security/failed-login-delay.js';

const limits = { authFailureDelayMsBase: 10, authFailureDelayMsMax: 100, authFailureQuietMs: 1000, authFailureAddressesMax: 3 };

describe('FailedLoginDelay', () => {
  it('doubles per failure up to the cap, per address', () => {
    const delay = new FailedLoginDelay(limits, () => 0);
    const seen = [];
    for (let i = 0; i < 6; i++) {
      seen.push(delay.delayMs('a'));
      delay.failed('a');
    }
    expect(seen).toEqual([0, 10, 20, 40, 80, 100]);
    expect(delay.delayMs('b')).toBe(0);
  });

  it('forgets the failures aimed at a target after its success, all after a quiet time', () => {
    let now = 0;
    const delay = new FailedLoginDelay(limits, () => now);
    delay.failed({ address: 'a', target: 'user:alice' });
    delay.failed({ address: 'a', target: 'user:alice' });
    delay.succeeded({ address: 'a', target: 'user:alice' });
    expect(delay.delayMs('a')).toBe(0);
    delay.failed('a');
    now = 1001;
    expect(delay.delayMs('a')).toBe(0);
    delay.failed('a');
    expect(delay.delayMs('a')).toBe(10);
  });

  it('remembers at most authFailureAddressesMax addresses, dropping the oldest failure first', () => {
    const delay = new FailedLoginDelay(limits, () => 0);
    for (const address of ['a', 'b', 'c', 'd']) delay.failed(address);
    expect(delay.delayMs('a')).toBe(0);
    expect(delay.delayMs('d')).toBe(10);
  });

  it('keeps the delay at the cap however many failures (2^count never overflows it)', () => {
    const delay = new FailedLoginDelay(limits, () => 0);
    for (let i = 0; i < 2000; i++) delay.failed('a');
    expect(delay.delayMs('a')).toBe(100);
  });

  it('keeps an address\'s failures at one user when the same address succeeds as another (finding 6)', () => {
    const delay = new FailedLoginDelay(limits, () => 0);
    for (let i = 0; i < 3; i++) {
      delay.failed({ address: 'a', target: 'user:admin' });
      // The guesser's own valid token, between two guesses.
      delay.succeeded({ address: 'a', target: 'token:mine' });
    }
    expect(delay.delayMs({ address: 'a', target: 'token:mine' })).toBe(40);
    expect(delay.delayMs({ address: 'a', target: 'user:admin' })).toBe(40);
  });

  it('counts failures at one user from many addresses against that user', () => {
    const delay = new FailedLoginDelay(limits, () => 0);
    for (const address of ['a', 'b', 'c']) delay.failed({ address, target: 'user:admin' });
    expect(delay.delayMs({ address: 'fresh', target: 'user:admin' })).toBe(40);
    expect(delay.delayMs({ address: 'fresh', target: 'user:alice' })).toBe(0);
  });

  it('counts IPv6 addresses by their /64, and IPv4-mapped ones as IPv4', () => {
    const delay = new FailedLoginDelay(limits, () => 0);
    delay.failed('2001:db8:1:2::1');
    delay.failed('2001:db8:1:2:ffff::9');
    expect(delay.delayMs('2001:db8:1:2:abcd::77')).toBe(20);
    expect(delay.delayMs('2001:db8:1:3::1')).toBe(0);
    delay.failed('::ffff:10.0.0.1');
    expect(delay.delayMs('10.0.0.1')).toBe(10);
  });

  it('forgets one failure per authFailureForgetMs', () => {
    let now = 0;
    const delay = new FailedLoginDelay({ ...limits, authFailureForgetMs: 100 }, () => now);
    for (let i = 0; i < 4; i++) delay.failed('a');
    expect(delay.delayMs('a')).toBe(80);
    now = 250;
    expect(delay.delayMs('a')).toBe(20);
    now = 400;
    expect(delay.delayMs('a')).toBe(0);
  });
});
