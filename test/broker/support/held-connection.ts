/** One kept-alive HTTP(S) connection of a test: requests go over the same socket until close(). */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface HeldAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

export interface HeldConnection {
  get(path: string, headers?: Record<string, string>): Promise<HeldAnswer>;
  send(method: string, path: string, headers: Record<string, string>, json?: unknown): Promise<HeldAnswer>;
  close(): void;
}

/** `tls`: https with these options (a client certificate, the CA). */
export function holdConnection(url: string, tls?: Record<string, unknown>): HeldConnection {
  const { hostname, port, protocol } = new URL(url);
  const secure = protocol === 'https:';
  const agent = secure ? new HttpsAgent({ keepAlive: true, maxSockets: 1, ...tls }) : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  const send = secure ? httpsRequest : httpRequest;
  const exchange = (method: string, path: string, headers: Record<string, string>, json?: unknown): Promise<HeldAnswer> =>
      new Promise((resolve, reject) => {
        const body = json === undefined ? undefined : JSON.stringify(json);
        const allHeaders = body === undefined ? headers : { ...headers, 'content-type': 'application/json' };
        const request = send({ host: hostname, port: Number(port), method, path, agent, headers: allHeaders, ...tls }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.once('end', () => {
            const text = Buffer.concat(chunks).toString();
            let body: unknown = text;
            try {
              body = JSON.parse(text);
            } catch {
              // not JSON: kept as text
            }
            resolve({ status: response.statusCode ?? 0, headers: response.headers, body });
          });
        });
        request.once('error', reject);
        request.end(body);
      });
  return {
    get: (path, headers = {}) => exchange('GET', path, headers),
    send: exchange,
    close: () => agent.destroy(),
  };
}
