/**
 * A Server-Sent Events parser after the WHATWG HTML standard (9.2.6, "Interpreting an event
 * stream"): UTF-8, lines ending in CRLF, LF or CR (a CR may end one chunk and its LF start the
 * next), `:` comments, the fields data, event, id and retry, an event dispatched at a blank line,
 * the last event id kept across events, an unfinished event at the end of the stream dropped.
 *
 * Written here rather than taken from a package: it is this one small state machine, Spool's
 * client has no other use for one, and a dependency would add a second stream layer over undici's.
 */
export interface SseEvent {
  /** `event:`, default "message". */
  type: string;
  data: string;
  /** The last event id seen on the stream so far (ids persist across events). */
  lastEventId: string;
}

export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffered = '';
  private first = true;
  private pendingCr = false;
  private type = '';
  private data = '';
  private hasData = false;
  private lastEventId = '';
  /** The reconnection time the stream asked for (`retry:`), or null. */
  retryMs: number | null = null;

  /** `lineCharsMax` bounds an unfinished line (a record of maxMessageBytes, base64, fits the default). */
  constructor(private readonly lineCharsMax = 128 * 1024 * 1024) {}

  /** Feeds a chunk; answers the events it completed. */
  push(chunk: Uint8Array): SseEvent[] {
    let text = this.decoder.decode(chunk, { stream: true });
    if (text.length === 0) return [];
    if (this.first) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const events: SseEvent[] = [];
    let start = 0;
    // The LF of a CRLF whose CR ended the previous chunk.
    if (this.pendingCr && text.charCodeAt(0) === 10) start = 1;
    this.pendingCr = false;
    for (let i = start; i < text.length; i++) {
      const char = text.charCodeAt(i);
      if (char !== 10 && char !== 13) continue;
      this.line(this.buffered + text.slice(start, i), events);
      this.buffered = '';
      if (char === 13) {
        if (i + 1 === text.length) this.pendingCr = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    this.buffered += text.slice(start);
    if (this.buffered.length > this.lineCharsMax) throw new RangeError(`an event stream line is longer than ${this.lineCharsMax} characters`);
    return events;
  }

  private line(line: string, events: SseEvent[]): void {
    if (line.length === 0) return this.dispatch(events);
    if (line.charCodeAt(0) === 58) return; // ':' a comment
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case 'event':
        this.type = value;
        break;
      case 'data':
        this.data += this.hasData ? `\n${value}` : value;
        this.hasData = true;
        break;
      case 'id':
        if (!value.includes('\u0000')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default: // unknown fields are ignored
    }
  }

  private dispatch(events: SseEvent[]): void {
    if (this.hasData) events.push({ type: this.type || 'message', data: this.data, lastEventId: this.lastEventId });
    this.type = '';
    this.data = '';
    this.hasData = false;
  }
}
