/**
 * POST /v1/producers: a producer id for an idempotent producer. The client stamps its raw batches
 * with this id, epoch 0 and a per-partition sequence; the broker answers a retried batch with its
 * original offsets instead of writing it twice.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ProducerIdStore } from '../metadata/producer-id-store.js';
import { ANONYMOUS } from '../security/request-principal.js';
import { optionalBody } from './schemas.js';

export const producerRoutes: FastifyPluginAsyncTypebox<{ producerIds: ProducerIdStore }> = async (app, { producerIds }) => {
  app.post('/v1/producers', {
    schema: {
      tags: ['records'],
      summary: 'Allocate a producer id for idempotent produce (Kafka InitProducerId)',
      body: optionalBody({ clientId: Type.Optional(Type.String({ maxLength: 249 })) }),
      response: { 200: Type.Object({ producerId: Type.Integer(), producerEpoch: Type.Integer() }) },
    },
    // Bound to the caller: only it may write with the id (producer-id-store.ts).
    handler: async (request) => producerIds.allocate(request.body?.clientId ?? null, request.principal ?? ANONYMOUS),
  });
};
