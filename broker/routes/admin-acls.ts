/**
 * ACL entries of a running broker (`spool acl` talks to these; Kafka's CreateAcls/DescribeAcls/
 * DeleteAcls manage the same entries). Changes are audited with the principal who made them.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { OPERATIONS, PATTERN_TYPES, PERMISSIONS, RESOURCE_TYPES, WILDCARD, type AclEntry } from '../security/acl.js';
import type { AuditLog } from '../security/audit.js';
import type { Authorizer } from '../security/authorizer.js';
import { PRINCIPAL_CHARS_MAX } from '../security/certificate-principal.js';
import { principalOf } from '../security/request-principal.js';
import { answer } from './schemas.js';

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((value) => Type.Literal(value)));

/** One entry as the routes take it: pattern type literal and host * unless said. */
export const AclEntrySchema = Type.Object(
  {
    principal: Type.String({ minLength: 1, maxLength: PRINCIPAL_CHARS_MAX, description: 'User:<name>, User:<certificate subject DN> or User:*' }),
    resourceType: literals(RESOURCE_TYPES),
    resourceName: Type.String({ minLength: 1, maxLength: 249, description: 'a name, * for all, or a prefix (patternType prefixed); the cluster is kafka-cluster' }),
    patternType: Type.Optional(literals(PATTERN_TYPES)),
    operation: literals(OPERATIONS),
    permission: literals(PERMISSIONS),
    host: Type.Optional(Type.String({ minLength: 1, maxLength: 60, description: 'a client IP address, or * (default)' })),
  },
  { additionalProperties: false },
);

const AclList = Type.Object({ acls: Type.Array(AclEntrySchema, { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false });

function complete(entry: Omit<AclEntry, 'patternType' | 'host'> & Partial<Pick<AclEntry, 'patternType' | 'host'>>): AclEntry {
  return { ...entry, patternType: entry.patternType ?? 'literal', host: entry.host ?? WILDCARD };
}

export const adminAclRoutes: FastifyPluginAsyncTypebox<{ authorizer: Authorizer; audit: AuditLog }> = async (app, { authorizer, audit }) => {
  app.get('/v1/admin/acls', {
    schema: {
      tags: ['security'],
      summary: 'List ACL entries, optionally of one principal, resource type or resource name',
      querystring: Type.Object(
        { principal: Type.Optional(Type.String({ maxLength: PRINCIPAL_CHARS_MAX })), resourceType: Type.Optional(literals(RESOURCE_TYPES)), resourceName: Type.Optional(Type.String({ maxLength: 249 })) },
        { additionalProperties: false },
      ),
      response: { 200: answer({ acls: Type.Array(answer({})) }) },
    },
    handler: async (request) => ({ acls: authorizer.list(request.query) }),
  });

  app.post('/v1/admin/acls', {
    schema: { tags: ['security'], summary: 'Add ACL entries (an entry already present is kept)', body: AclList, response: { 200: answer({ added: Type.Integer() }) } },
    handler: async (request) => {
      const entries = request.body.acls.map(complete);
      const added = authorizer.add(entries);
      audit({ action: 'acl.add', principal: principalOf(request), address: request.ip, outcome: 'success', acls: entries });
      return { added };
    },
  });

  app.delete('/v1/admin/acls', {
    schema: { tags: ['security'], summary: 'Remove ACL entries (exactly as listed); answers those that existed', body: AclList, response: { 200: answer({ removed: Type.Array(answer({})) }) } },
    handler: async (request) => {
      const removed = authorizer.remove(request.body.acls.map(complete));
      audit({ action: 'acl.remove', principal: principalOf(request), address: request.ip, outcome: 'success', acls: removed });
      return { removed };
    },
  });
};
