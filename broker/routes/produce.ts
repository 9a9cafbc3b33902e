/**
 * POST /v1/topics/:topic/records: produce in JSON, msgpack or raw RecordBatch v2.
 * The body's schema is checked in the service (it differs per content type); see
 * broker/produce/record-input.ts for the value encodings.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BrokerError } from '../errors.js';
import { BATCH_CONTENT_TYPE, MSGPACK_CONTENT_TYPE } from '../http/content-types.js';
import type { ProduceService } from '../produce/produce-service.js';
import type { ProduceRecord } from '../produce/record-input.js';
import { TopicParams } from './schemas.js';

interface RecordsBody {
  records?: ProduceRecord[];
  expectedOffsets?: Record<string, number>;
}

function recordsBody(body: unknown, topic: string): RecordsBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BrokerError('SPOOL_ERR_BAD_REQUEST', 'the body must be an object {records: [...]}', { topic });
  }
  const { expectedOffsets } = body as RecordsBody;
  if (expectedOffsets !== undefined) {
    const valid = typeof expectedOffsets === 'object' && expectedOffsets !== null && Object.entries(expectedOffsets).every(
      ([partition, offset]) => /^[0-9]+$/.test(partition) && Number.isSafeInteger(offset) && offset >= 0,
    );
    if (!valid) throw new BrokerError('SPOOL_ERR_BAD_REQUEST', 'expectedOffsets maps partition numbers to offsets', { topic });
  }
  return body as RecordsBody;
}

export const produceRoutes: FastifyPluginAsyncTypebox<{ produce: ProduceService }> = async (app, { produce }) => {
  app.post('/v1/topics/:topic/records', {
    schema: {
      tags: ['records'],
      summary: 'Produce records (JSON or msgpack {records, expectedOffsets?}) or raw RecordBatch v2 bytes (?partition=)',
      params: TopicParams,
      querystring: Type.Object({
        partition: Type.Optional(Type.Integer({ minimum: 0 })),
        expectedOffset: Type.Optional(Type.Integer({ minimum: 0 })),
      }),
    },
    handler: async (request) => {
      const { topic } = request.params;
      const contentType = request.headers['content-type']?.split(';')[0]?.trim();
      if (contentType === BATCH_CONTENT_TYPE) {
        const { partition, expectedOffset } = request.query;
        if (partition === undefined) throw new BrokerError('SPOOL_ERR_BAD_REQUEST', 'raw batches need ?partition=', { topic });
        return produce.produceBatches(topic, partition, request.body as Buffer, expectedOffset);
      }
      const body = recordsBody(request.body, topic);
      return produce.produceRecords(topic, body.records ?? [], body.expectedOffsets, contentType === MSGPACK_CONTENT_TYPE ? 'msgpack' : 'json');
    },
  });
};
