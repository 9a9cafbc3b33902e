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

  it('forgets an address after a success or a quiet time', () => {
    let now = 0;
    const delay = new FailedLoginDelay(limits, () => now);
    delay.failed('a');
    delay.failed('a');
    delay.succeeded('a');
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
});
