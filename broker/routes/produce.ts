/**
 * POST /v1/topics/:topic/records: produce in JSON, msgpack or raw RecordBatch v2.
 * JSON and msgpack bodies are checked by their schemas (broker/produce/record-input.ts, which also
 * says how values are encoded); raw batches by the storage engine.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Quotas } from '../security/quotas.js';
import { ANONYMOUS } from '../security/request-principal.js';
import { BrokerError } from '../errors.js';
import type { BrokerLimits } from '../limits.js';
import { BATCH_CONTENT_TYPE, JSON_CONTENT_TYPE, MSGPACK_CONTENT_TYPE } from '../http/content-types.js';
import type { ProduceService } from '../produce/produce-service.js';
import { type ProduceBody, produceBodySchemas, type ProduceRecord } from '../produce/record-input.js';
import { requestBodyBytes } from '../http/body-bytes.js';
import { traceAppended } from '../http/trace-channels.js';
import { answer, TopicParams } from './schemas.js';

export const produceRoutes: FastifyPluginAsyncTypebox<{ produce: ProduceService; limits: BrokerLimits; quotas: Quotas }> = async (app, { produce, limits, quotas }) => {
  const bodies = produceBodySchemas(limits);
  app.post('/v1/topics/:topic/records', {
    schema: {
      tags: ['records'],
      summary: 'Produce records (JSON or msgpack {records, expectedOffsets?}) or raw RecordBatch v2 bytes (?partition=)',
      params: TopicParams,
      querystring: Type.Object(
        {
          partition: Type.Optional(Type.Integer({ minimum: 0, maximum: limits.partitionsPerTopicMax - 1, description: 'raw batches only: the partition to append to' })),
          expectedOffset: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'raw batches only: the offset the partition must end at' })),
        },
        { additionalProperties: false },
      ),
      body: {
        content: {
          [JSON_CONTENT_TYPE]: { schema: bodies.json },
          [MSGPACK_CONTENT_TYPE]: { schema: bodies.msgpack },
          // No type: the body is a Buffer, which the storage engine checks batch by batch.
          [BATCH_CONTENT_TYPE]: { schema: Type.Unsafe<Buffer>({ description: 'RecordBatch v2 bytes, one or more back to back (?partition= required)' }) },
        },
      },
      response: {
        200: answer(
          {
            topic: Type.String(),
            records: Type.Optional(Type.Array(answer({ partition: Type.Integer(), offset: Type.Integer() }), { description: 'JSON/msgpack: where each record went, in order' })),
            partitions: Type.Optional(Type.Array(answer({ partition: Type.Integer(), baseOffset: Type.Integer(), lastOffset: Type.Integer(), duplicate: Type.Optional(Type.Boolean()) }))),
            partition: Type.Optional(Type.Integer({ description: 'raw batches' })),
            baseOffset: Type.Optional(Type.Integer({ description: 'raw batches' })),
            lastOffset: Type.Optional(Type.Integer({ description: 'raw batches' })),
            batches: Type.Optional(Type.Array(answer({ baseOffset: Type.Integer(), lastOffset: Type.Integer() }))),
            duplicate: Type.Optional(Type.Boolean({ description: 'an idempotent retry: the original offsets, nothing written' })),
            subscribers: answer({ live: Type.Integer(), groups: Type.Integer() }, 'who receives the records as they arrive'),
          },
          'Where the records went',
        ),
      },
    },
    handler: async (request) => {
      const { topic } = request.params;
      const principal = request.principal ?? ANONYMOUS;
      // Over the produce quota: refused before anything is written; within it, served and counted.
      quotas.check('produce', principal);
      quotas.record('produce', principal, requestBodyBytes(request));
      const contentType = request.headers['content-type']?.split(';')[0]?.trim();
      if (contentType === BATCH_CONTENT_TYPE) {
        const { partition, expectedOffset } = request.query;
        if (partition === undefined) throw new BrokerError('SPOOL_ERR_BAD_REQUEST', 'raw batches need ?partition=', { topic });
        const appended = await produce.produceBatches(topic, partition, request.body as Buffer, expectedOffset, principal, true);
        traceAppended(() => ({ request: request.raw, topic, partition, baseOffset: appended.baseOffset, lastOffset: appended.lastOffset }));
        return appended;
      }
      if (request.query.partition !== undefined || request.query.expectedOffset !== undefined) {
        throw new BrokerError('SPOOL_ERR_BAD_REQUEST', '?partition= and ?expectedOffset= are for raw batches: in a JSON or msgpack body use records[].partition and expectedOffsets', { topic });
      }
      const body = request.body as ProduceBody & { records: ProduceRecord[] };
      return produce.produceRecords(topic, body.records, body.expectedOffsets, contentType === MSGPACK_CONTENT_TYPE ? 'msgpack' : 'json');
    },
  });
};
