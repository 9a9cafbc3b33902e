/** A raw queue session for broker tests: the frames it gets, decoded, and how it closed. */
import { vi } from 'vitest';
import WebSocket from 'ws';
import { type BrokerFrame, decodeBrokerFrame } from '../../../storage/codec/index.js';

export interface RawSession {
  ws: WebSocket;
  frames: BrokerFrame[];
  /** Resolves with the close status and reason. */
  closed: Promise<{ code: number; reason: string }>;
  /** Messages pushed so far, in order. */
  messages(): Array<Extract<BrokerFrame, { type: 'messages' }>['messages'][number]>;
  /** Waits for the SETTLED frame of `id`. */
  settled(id: number): Promise<Extract<BrokerFrame, { type: 'settled' }>>;
}

export function sessionUrl(base: string, topic = 'jobs', queue = 'workers'): string {
  return `${base.replace(/^http/, 'ws')}/v1/topics/${topic}/queues/${queue}/session`;
}

/** Opens a session; rejects with the refusal's status and body when the upgrade is answered otherwise. */
export function openSession(url: string, headers: Record<string, string> = {}, options: WebSocket.ClientOptions = {}): Promise<RawSession> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { ...options, headers });
    const frames: BrokerFrame[] = [];
    const closed = new Promise<{ code: number; reason: string }>((done) => ws.on('close', (code, reason) => done({ code, reason: reason.toString() })));
    ws.on('message', (data) => frames.push(decodeBrokerFrame(data as Buffer)));
    ws.once('open', () =>
      resolve({
        ws,
        frames,
        closed,
        messages: () => frames.flatMap((frame) => (frame.type === 'messages' ? frame.messages : [])),
        settled: async (id) => {
          let found: Extract<BrokerFrame, { type: 'settled' }> | undefined;
          await vi.waitFor(() => {
            found = frames.find((frame): frame is Extract<BrokerFrame, { type: 'settled' }> => frame.type === 'settled' && frame.id === id);
            if (!found) throw new Error(`no SETTLED ${id} yet`);
          });
          return found!;
        },
      }),
    );
    ws.once('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        ws.terminate();
        reject(Object.assign(new Error(`upgrade refused: ${response.statusCode}`), { status: response.statusCode, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
      });
    });
    ws.once('error', (error) => reject(error));
  });
}
