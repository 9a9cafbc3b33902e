/**
 * A bare Kafka connection for tests that need what no client library sends: exact frames, many
 * requests in flight, forged bytes. Requests are encoded and answers decoded with the listener's
 * codec (its correctness is checked apart, and against real clients).
 */
import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { decodeMessage, type Message } from '../../../../broker/kafka/protocol/codec.js';
import { messages, ResponseHeader, type ApiName } from '../../../../broker/kafka/protocol/messages.js';
import { Reader } from '../../../../broker/kafka/protocol/reader.js';
import { encodeRequestFrame } from '../../../../broker/kafka/protocol/request-frame.js';

export class RawKafkaClient {
  private pending = Buffer.alloc(0);
  private readonly frames: Buffer[] = [];
  private wake: (() => void) | null = null;
  private correlationId = 0;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (data: Buffer) => {
      this.pending = Buffer.concat([this.pending, data]);
      while (this.pending.length >= 4 && this.pending.length >= 4 + this.pending.readInt32BE(0)) {
        const size = this.pending.readInt32BE(0);
        this.frames.push(this.pending.subarray(4, 4 + size));
        this.pending = this.pending.subarray(4 + size);
      }
      this.wake?.();
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    void this.closed.then(() => this.wake?.());
  }

  static connect(address: { host: string; port: number }): Promise<RawKafkaClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(address.port, address.host, () => resolve(new RawKafkaClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Over TLS (a listener with tlsCert): `options` carry the CA and any client certificate. */
  static connectTls(address: { host: string; port: number }, options: ConnectionOptions): Promise<RawKafkaClient> {
    return new Promise((resolve, reject) => {
      const socket = connectTls({ host: address.host, port: address.port, ...options }, () => resolve(new RawKafkaClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Answers received and not yet taken. */
  get pendingFrames(): number {
    return this.frames.length;
  }

  get isClosed(): boolean {
    return this.socket.destroyed;
  }

  /** Encodes a request frame (header v1, or v2 for flexible versions). */
  static frame(api: ApiName, version: number, body: Message, correlationId: number): Buffer {
    return encodeRequestFrame(api, version, body, correlationId, 'raw');
  }

  /** Sends a request; answers its correlation id. */
  send(api: ApiName, version: number, body: Message): number {
    const id = ++this.correlationId;
    this.socket.write(RawKafkaClient.frame(api, version, body, id));
    return id;
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next answer frame (without its size), or null when the connection closed first. */
  async nextFrame(): Promise<Buffer | null> {
    while (this.frames.length === 0) {
      if (this.socket.destroyed) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
    return this.frames.shift()!;
  }

  /** The next answer, decoded as `api` at `version`: its correlation id and body. */
  async answer(api: ApiName, version: number): Promise<{ correlationId: number; body: Message }> {
    const frame = await this.nextFrame();
    if (!frame) throw new Error('the connection closed before the answer');
    const definition = messages[api].response;
    const headerVersion = api !== 'ApiVersions' && definition.isFlexible(version) ? 1 : 0;
    const reader = new Reader(frame);
    const header = decodeMessage(ResponseHeader.at(headerVersion), reader);
    return { correlationId: header.correlationId as number, body: decodeMessage(definition.at(version), reader) };
  }

  async request(api: ApiName, version: number, body: Message): Promise<Message> {
    const id = this.send(api, version, body);
    const answer = await this.answer(api, version);
    if (answer.correlationId !== id) throw new Error(`answer ${answer.correlationId} for request ${id}`);
    return answer.body;
  }

  /** SASL PLAIN (SaslHandshake v1, SaslAuthenticate v2): answers SaslAuthenticate's error code. */
  async authenticatePlain(user: string, password: string): Promise<number> {
    const handshake = await this.request('SaslHandshake', 1, { mechanism: 'PLAIN' });
    if (handshake.errorCode !== 0) return handshake.errorCode as number;
    const answer = await this.request('SaslAuthenticate', 2, { authBytes: Buffer.from(`\0${user}\0${password}`) });
    return answer.errorCode as number;
  }

  close(): void {
    this.socket.destroy();
  }
}
