/**
 * SCRAM keys against RFC 7677's example exchange (user "user", password "pencil"): the keys Spool
 * stores must give the server signature the RFC prints, or no SCRAM client could log in.
 */
import { describe, expect, it } from 'vitest';
import { clientKeyOf, hash, hmac, makeCredential, passwordMatches, saltPassword } from '../../../broker/security/scram.js';

describe('SCRAM credentials', () => {
  it('derives the keys of RFC 7677 section 3 (SCRAM-SHA-256, 4096 iterations)', async () => {
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    const salted = await saltPassword('SCRAM-SHA-256', 'pencil', salt, 4096);
    const serverKey = hmac('SCRAM-SHA-256', salted, 'Server Key');
    const clientKey = clientKeyOf('SCRAM-SHA-256', salted);
    const storedKey = hash('SCRAM-SHA-256', clientKey);
    const authMessage =
      'n=user,r=rOprNGfwEbeRWgbNEkqO,' +
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,' +
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
    expect(hmac('SCRAM-SHA-256', serverKey, authMessage).toString('base64')).toBe('6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
    const signature = hmac('SCRAM-SHA-256', storedKey, authMessage);
    const proof = Buffer.from(clientKey.map((byte, i) => byte ^ signature[i]!));
    expect(proof.toString('base64')).toBe('dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
  });

  it('checks a password against stored keys, for both mechanisms, and never keeps the password', async () => {
    for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
      const credential = await makeCredential(mechanism, 'correct horse');
      expect(await passwordMatches(credential, 'correct horse')).toBe(true);
      expect(await passwordMatches(credential, 'correct hors')).toBe(false);
      expect(await passwordMatches(credential, '')).toBe(false);
      expect(JSON.stringify(credential)).not.toContain(Buffer.from('correct horse').toString('hex'));
      expect(credential.storedKey.length).toBe(mechanism === 'SCRAM-SHA-256' ? 32 : 64);
    }
  });

  it('salts each credential anew: one password gives different keys', async () => {
    const [a, b] = await Promise.all([makeCredential('SCRAM-SHA-256', 'same'), makeCredential('SCRAM-SHA-256', 'same')]);
    expect(a.salt.equals(b.salt)).toBe(false);
    expect(a.storedKey.equals(b.storedKey)).toBe(false);
  });
});
