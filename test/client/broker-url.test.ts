/** client/broker-url.ts: the broker's address, checked once for `new Spool`, SPOOL_URL and `spool --url`. */
import { describe, expect, it } from 'vitest';
import { brokerUrl } from '../../client/broker-url.js';
import { Spool } from '../../client/index.js';

describe('brokerUrl', () => {
  it('keeps an http(s) base URL, without trailing slashes', () => {
    expect(brokerUrl('http://127.0.0.1:9292/')).toBe('http://127.0.0.1:9292');
    expect(brokerUrl('https://spool.example/base//')).toBe('https://spool.example/base');
  });

  it.each([
    ['notaurl', /must be the broker's http\(s\) URL/],
    ['localhost:9292', /must start with http:\/\/ or https:\/\//],
    ['ftp://host', /must start with http:\/\//],
    ['http://host:9292/?token=x', /takes no query/],
    ['http://user:secret@host:9292', /credentials/],
    ['', /must be the broker's http\(s\) URL/],
  ])('refuses %j with SPOOL_ERR_INVALID_ARGUMENT, showing the expected form', (url, message) => {
    expect(() => new Spool({ url })).toThrow(expect.objectContaining({ code: 'SPOOL_ERR_INVALID_ARGUMENT', message: expect.stringMatching(message) }));
    expect(() => brokerUrl(url)).toThrow(/such as http:\/\/127\.0\.0\.1:9292/);
  });
});
