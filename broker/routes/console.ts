/**
 * The web console at /console: the static files `npm run build` bundles from console/ (one HTML
 * page, one script, one stylesheet), read into memory once, at the first request for them (not at
 * start: reading and hashing them was a few ms of every embedded broker's start, and tests rarely
 * open the console). Only files found in the build folder then are served, by exact name: a
 * request can name nothing else on disk. The page talks to the broker through the same HTTP API
 * as any client.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BrokerError } from '../errors.js';

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
};

/**
 * Everything comes from the broker itself ('self'); nothing is fetched from outside, and no inline
 * script runs. img data: URLs are the favicon.
 */
const CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(dir)) return assets;
  for (const name of readdirSync(dir)) {
    const type = CONTENT_TYPES[extname(name)];
    const path = join(dir, name);
    if (!type || !statSync(path).isFile()) continue;
    const body = readFileSync(path);
    assets.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return assets;
}

export const consoleRoutes: FastifyPluginAsyncTypebox<{ dir: string }> = async (app, { dir }) => {
  let loaded: Map<string, Asset> | null = null;
  const assets = () => (loaded ??= loadAssets(dir));

  app.get('/console', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/'));

  app.get('/console/*', {
    schema: { hide: true, params: Type.Object({ '*': Type.String({ maxLength: 200 }) }) },
    handler: async (request, reply) => {
      const name = request.params['*'] === '' ? 'index.html' : request.params['*'];
      const asset = assets().get(name);
      if (!asset) {
        const hint = assets().size === 0 ? ' (the console is not built: run npm run build)' : '';
        throw new BrokerError('SPOOL_ERR_ROUTE_NOT_FOUND', `the console has no file ${name.slice(0, 200)}${hint}`);
      }
      void reply
        .header('content-type', asset.type)
        .header('etag', asset.etag)
        // Revalidated every time (a 304 when unchanged): a broker upgrade never leaves a stale page.
        .header('cache-control', 'no-cache')
        .header('content-security-policy', CONTENT_SECURITY_POLICY)
        .header('x-content-type-options', 'nosniff');
      if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
      return reply.send(asset.body);
    },
  });
};
