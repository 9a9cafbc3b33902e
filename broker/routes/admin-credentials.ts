/**
 * Users and API tokens of a running broker (`spool users`, `spool tokens` talk to these; on a
 * stopped broker they open the data directory instead). Every change is audited; a token's secret
 * is in the answer of its creation and nowhere else.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuditLog } from '../security/audit.js';
import type { Credentials } from '../security/credentials.js';
import { principalOf } from '../security/request-principal.js';
import { SCRAM_ITERATIONS_MAX, SCRAM_ITERATIONS_MIN } from '../security/scram.js';
import { answer, NoContent } from './schemas.js';

export interface AdminCredentialOptions {
  credentials: Credentials;
  audit: AuditLog;
}

const UserParams = Type.Object({ user: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
const TokenParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
const UserAnswer = answer({ name: Type.String(), createdAt: Type.String(), mechanisms: Type.Array(Type.String()) });
const TokenAnswer = answer({ id: Type.String(), user: Type.String(), description: Type.String(), createdAt: Type.String(), expiresAt: Type.Union([Type.String(), Type.Null()]) });

export const adminCredentialRoutes: FastifyPluginAsyncTypebox<AdminCredentialOptions> = async (app, { credentials, audit }) => {
  const by = (request: Parameters<typeof principalOf>[0]) => ({ principal: principalOf(request), address: request.ip });

  app.get('/v1/admin/users', {
    schema: { tags: ['security'], summary: 'List users (names and SCRAM mechanisms, never keys)', response: { 200: answer({ users: Type.Array(UserAnswer) }) } },
    handler: async () => ({ users: credentials.listUsers() }),
  });

  app.put('/v1/admin/users/:user', {
    schema: {
      tags: ['security'],
      summary: 'Add a user or change its password (stored as SCRAM-SHA-256 and SCRAM-SHA-512 keys)',
      params: UserParams,
      body: Type.Object(
        {
          password: Type.String({ minLength: 1, maxLength: 4096 }),
          iterations: Type.Optional(Type.Integer({ minimum: SCRAM_ITERATIONS_MIN, maximum: SCRAM_ITERATIONS_MAX })),
        },
        { additionalProperties: false },
      ),
      response: { 200: answer({ user: Type.String(), created: Type.Boolean() }) },
    },
    handler: async (request) => {
      const { user } = request.params;
      const created = await credentials.putUser(user, request.body.password, request.body.iterations);
      audit({ action: created ? 'user.add' : 'user.password', ...by(request), outcome: 'success', user });
      return { user, created };
    },
  });

  app.delete('/v1/admin/users/:user', {
    schema: { tags: ['security'], summary: 'Remove a user and revoke its tokens', params: UserParams, response: { 200: answer({ user: Type.String(), tokensRevoked: Type.Integer() }) } },
    handler: async (request) => {
      const { user } = request.params;
      const removed = credentials.removeUser(user);
      audit({ action: 'user.remove', ...by(request), outcome: 'success', user, tokensRevoked: removed.tokensRevoked });
      return { user, ...removed };
    },
  });

  app.get('/v1/admin/tokens', {
    schema: { tags: ['security'], summary: 'List API tokens (ids, users, expiry; never secrets)', response: { 200: answer({ tokens: Type.Array(TokenAnswer) }) } },
    handler: async () => ({ tokens: credentials.listTokens() }),
  });

  app.post('/v1/admin/tokens', {
    schema: {
      tags: ['security'],
      summary: 'Create an API token for a user: the answer\'s `token` is shown this once',
      body: Type.Object(
        {
          user: Type.String({ minLength: 1, maxLength: 200 }),
          description: Type.Optional(Type.String({ maxLength: 200 })),
          expiresInMs: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER - Date.now() * 2 })),
        },
        { additionalProperties: false },
      ),
      response: { 200: answer({ token: Type.String(), id: Type.String() }) },
    },
    handler: async (request) => {
      const created = credentials.createToken(request.body.user, { description: request.body.description, expiresInMs: request.body.expiresInMs });
      audit({ action: 'token.create', ...by(request), outcome: 'success', user: created.user, tokenId: created.id, expiresAt: created.expiresAt });
      return created;
    },
  });

  app.delete('/v1/admin/tokens/:id', {
    schema: { tags: ['security'], summary: 'Revoke an API token', params: TokenParams, response: { 204: NoContent } },
    handler: async (request, reply) => {
      credentials.revokeToken(request.params.id);
      audit({ action: 'token.revoke', ...by(request), outcome: 'success', tokenId: request.params.id });
      return reply.code(204).send();
    },
  });
};
