/**
 * Browser sessions for the web console: POST /v1/session trades an API token (in the body, never
 * in a URL) for an HttpOnly SameSite=Strict cookie, which fetch and EventSource (SSE) then send by
 * themselves; DELETE /v1/session ends it. Both are public routes: the token is the credential.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Authenticator } from '../security/authenticator.js';
import { sessionCookie, sessionSetCookie, SESSION_COOKIE } from '../security/sessions.js';
import { answer, NoContent } from './schemas.js';

export const sessionRoutes: FastifyPluginAsyncTypebox<{ authenticator: Authenticator; secureCookies: boolean }> = async (app, { authenticator, secureCookies }) => {
  app.post('/v1/session', {
    schema: {
      tags: ['security'],
      summary: 'Log a browser in: trade an API token for an HttpOnly session cookie (used by the console, and by EventSource)',
      body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
      response: { 200: answer({ user: Type.String(), expiresInMs: Type.Integer() }) },
    },
    handler: async (request, reply) => {
      const { user, tokenId } = await authenticator.tokenLogin(request.body.token, request.ip);
      const session = authenticator.sessions.create(user, tokenId);
      reply.header('set-cookie', sessionSetCookie(session.id, session.maxAgeSeconds, secureCookies));
      return { user, expiresInMs: session.maxAgeSeconds * 1000 };
    },
  });

  app.delete('/v1/session', {
    schema: { tags: ['security'], summary: 'Log a browser out: end its session and clear the cookie', response: { 204: NoContent } },
    handler: async (request, reply) => {
      const id = sessionCookie(request.headers.cookie);
      if (id !== null) authenticator.sessions.end(id);
      reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
      return reply.code(204).send();
    },
  });
};
