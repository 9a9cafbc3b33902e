/** The SSE parser against the standard's examples, and the same events however the bytes are chunked. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type SseEvent, SseParser } from '../../../client/subscribe/sse-parser.js';

const parse = (chunks: Array<string | Uint8Array>): SseEvent[] => {
  const parser = new SseParser();
  return chunks.flatMap((chunk) => parser.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk));
};

describe('SseParser', () => {
  it('reads events with type, multi-line data and ids that persist', () => {
    expect(parse(['id: 1\nevent: record\ndata: a\ndata: b\n\n', 'data: c\n\n'])).toEqual([
      { type: 'record', data: 'a\nb', lastEventId: '1' },
      { type: 'message', data: 'c', lastEventId: '1' },
    ]);
  });

  it('skips comments, unknown fields and events without data; strips one leading space only', () => {
    expect(parse([': heartbeat\n\nevent: follow\n\nfoo: bar\ndata:  two spaces\ndata\n\n'])).toEqual([{ type: 'message', data: ' two spaces\n', lastEventId: '' }]);
  });

  it('accepts CRLF, CR and LF line ends, a BOM, and ids without NUL', () => {
    expect(parse(['\uFEFFid: 7\r\ndata: x\r\rid: bad\u0000\ndata: y\n\n'])).toEqual([
      { type: 'message', data: 'x', lastEventId: '7' },
      { type: 'message', data: 'y', lastEventId: '7' },
    ]);
  });

  it('keeps retry and drops an unfinished event at the end', () => {
    const parser = new SseParser();
    expect(parser.push(Buffer.from('retry: 2500\ndata: unfinished\n'))).toEqual([]);
    expect(parser.retryMs).toBe(2500);
  });

  it('bounds an unfinished line', () => {
    const parser = new SseParser(10);
    expect(() => parser.push(Buffer.from('data: 0123456789'))).toThrow(RangeError);
  });

  it('parses the same events however the stream is cut, through CRLF pairs and multi-byte characters', () => {
    const stream = 'id: é/0:1\r\nevent: record\r\ndata: {"v":"ü€𝄞"}\r\n\r\n: hb\r\rdata: x\ndata: y\n\nid: 2\rdata: z\r\r';
    const bytes = Buffer.from(stream, 'utf8');
    const whole = parse([bytes]);
    expect(whole.map((event) => event.data)).toEqual(['{"v":"ü€𝄞"}', 'x\ny', 'z']);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), bytes.length];
        const chunks = points.slice(1).map((end, i) => bytes.subarray(points[i], end));
        expect(parse(chunks)).toEqual(whole);
      }),
    );
  });
});
