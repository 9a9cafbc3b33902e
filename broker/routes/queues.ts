/**
 * Work queues (share groups) on a topic: /v1/topics/:topic/queues/:queue. See
 * broker/queues/queue-service.ts for the semantics and docs/http-api.md for the contract.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { encodeQueueMessages, QUEUE_MESSAGES_CONTENT_TYPE } from '../../storage/index.js';
import { toJsonRecord, type ValueFormat } from '../fetch/record-view.js';
import { brokerLimits } from '../limits.js';
import type { QueueService, Settlement } from '../queues/queue-service.js';
import type { Quotas } from '../security/quotas.js';
import { principalOf } from '../security/request-principal.js';
import { TOPIC_NAME_RULE } from '../topics/topic-name.js';
import { answer, JsonRecordAnswer, NoContent, optionalBody, ValueFormatSchema } from './schemas.js';

export const QueueParams = Type.Object(
  {
    topic: Type.String({ minLength: 1, maxLength: 300 }),
    queue: Type.String({ minLength: 1, maxLength: 249, pattern: '^[A-Za-z0-9._-]+$' }),
  },
  { additionalProperties: false },
);
const ReceiveQuery = Type.Object(
  {
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('binary')], { description: `json (default), or binary: ${QUEUE_MESSAGES_CONTENT_TYPE} (storage/codec/queue-messages.ts), values and headers as bytes` })),
    valueFormat: Type.Optional(ValueFormatSchema),
  },
  { additionalProperties: false },
);
const QueueDescription = answer({
  topic: Type.String(),
  name: Type.String(),
  config: answer({ visibilityMs: Type.Integer(), maxDeliveries: Type.Integer(), deadLetterTopic: Type.String(), orderedByKey: Type.Boolean() }),
  available: Type.Integer(),
  inFlight: Type.Integer(),
  deadLettered: Type.Integer(),
  totals: answer({ delivered: Type.Integer(), acked: Type.Integer(), deadLettered: Type.Integer() }, 'messages delivered, acked and dead-lettered since the broker started'),
  partitions: Type.Array(answer({ partition: Type.Integer(), ackedThrough: Type.Integer(), highWatermark: Type.Integer(), available: Type.Integer(), inFlight: Type.Integer(), deadLettered: Type.Integer() })),
});
const RedriveAnswer = answer({
  topic: Type.String(),
  queue: Type.String(),
  deadLetterTopic: Type.String(),
  dryRun: Type.Boolean(),
  redriven: Type.Array(
    answer({
      deadLetterPartition: Type.Integer(),
      deadLetterOffset: Type.Integer(),
      partition: Type.Integer(),
      originalOffset: Type.Integer(),
      reason: Type.Union([Type.String(), Type.Null()]),
      offset: Type.Optional(Type.Integer({ description: 'where it was appended again (not in a dry run)' })),
    }),
  ),
  more: Type.Boolean({ description: 'dead letters remain past what this request read: call again' }),
});
const SettleBody = Type.Object(
  {
    receipts: Type.Array(Type.String({ maxLength: 100 }), { minItems: 1, maxItems: 10_000 }),
    delayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: brokerLimits.queueDelayMsMax })),
    reason: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);

const SettleQuery = Type.Object(
  {
    results: Type.Optional(
      Type.Union([Type.Literal('all'), Type.Literal('failures')], { description: 'all (default): one result per receipt; failures: only the receipts refused, each with its index (the client sends a whole turn of acks and hears back only about those that failed)' }),
    ),
  },
  { additionalProperties: false },
);

export const queueRoutes: FastifyPluginAsyncTypebox<{ queues: QueueService; redriveRecordsMax: number; quotas: Pick<Quotas, 'take'> }> = async (app, { queues, redriveRecordsMax, quotas }) => {
  const tags = ['queues'];

  app.get('/v1/queues', {
    schema: { tags, summary: 'Every queue of every topic, described (as GET /v1/topics/:topic/queues/:queue)', response: { 200: answer({ queues: Type.Array(QueueDescription) }) } },
    handler: async () => ({ queues: await queues.list() }),
  });

  app.post('/v1/topics/:topic/queues/:queue/redrive', {
    schema: {
      tags,
      summary: 'Move this queue\'s dead letters back onto its topic, to be delivered again by this queue (dryRun: list them only)',
      params: QueueParams,
      body: optionalBody({
        max: Type.Optional(Type.Integer({ minimum: 1, maximum: redriveRecordsMax, description: `dead letters to move, default ${redriveRecordsMax}` })),
        dryRun: Type.Optional(Type.Boolean()),
      }),
      response: { 200: RedriveAnswer },
    },
    handler: async (request) => {
      const { topic, queue } = request.params;
      return queues.redrive(topic, queue, { max: request.body?.max ?? redriveRecordsMax, dryRun: request.body?.dryRun ?? false });
    },
  });

  app.put('/v1/topics/:topic/queues/:queue', {
    schema: {
      tags,
      summary: 'Create or configure a queue (share group) on a topic',
      params: QueueParams,
      body: optionalBody(
          {
            visibilityMs: Type.Optional(Type.Integer({ minimum: brokerLimits.queueVisibilityMsMin, maximum: brokerLimits.queueVisibilityMsMax })),
            maxDeliveries: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
            deadLetterTopic: Type.Optional(Type.String({ maxLength: 300, description: `a topic name (${TOPIC_NAME_RULE}); created when the first message dies` })),
            orderedByKey: Type.Optional(Type.Boolean()),
          },
      ),
      response: { 200: QueueDescription, 201: QueueDescription },
    },
    handler: async (request, reply) => {
      const { topic, queue } = request.params;
      const { created } = queues.configure(topic, queue, request.body ?? {});
      return reply.code(created ? 201 : 200).send(await queues.describe(topic, queue));
    },
  });

  app.get('/v1/topics/:topic/queues/:queue', {
    schema: { tags, summary: 'Describe: available, in flight, acknowledged-through offset per partition, dead-lettered', params: QueueParams, response: { 200: QueueDescription } },
    handler: async (request) => queues.describe(request.params.topic, request.params.queue),
  });

  app.delete('/v1/topics/:topic/queues/:queue', {
    schema: { tags, summary: 'Delete a queue and its state (the topic stays)', params: QueueParams, response: { 204: NoContent } },
    handler: async (request, reply) => {
      await queues.describe(request.params.topic, request.params.queue); // 404 for an unknown queue
      queues.delete(request.params.topic, request.params.queue);
      return reply.code(204).send();
    },
  });

  app.post('/v1/topics/:topic/queues/:queue/receive', {
    schema: {
      tags,
      summary: 'Receive (lease) messages; long-polls up to waitMs',
      params: QueueParams,
      querystring: ReceiveQuery,
      body: optionalBody(
          {
            max: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
            visibilityMs: Type.Optional(Type.Integer({ minimum: brokerLimits.queueVisibilityMsMin, maximum: brokerLimits.queueVisibilityMsMax })),
            waitMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
          },
      ),
      response: {
        200: {
          description: 'The messages leased (none when the wait ran out)',
          content: {
            'application/json': {
              schema: Type.Object({
                messages: Type.Array(
                  Type.Intersect([JsonRecordAnswer, answer({ receipt: Type.String({ description: 'names this delivery in ack/nack/reject' }), partition: Type.Integer(), deliveryCount: Type.Integer() })]),
                ),
              }),
            },
            [QUEUE_MESSAGES_CONTENT_TYPE]: { schema: Type.Unsafe({ description: 'format=binary: the same messages in the layout of storage/codec/queue-messages.ts (docs/http-api.md)' }) },
          },
        },
      },
    },
    handler: async (request, reply) => {
      const { topic, queue } = request.params;
      // The response closing before it was sent means the worker went away: stop waiting. (The
      // request's own 'close' fires as soon as its body has been read.)
      const abort = new AbortController();
      // (Only if unanswered: abort() builds a DOMException with a stack, once per receive otherwise.)
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) abort.abort();
      });
      const principal = principalOf(request);
      const waitSlot = () => quotas.take('longPolls', principal);
      const received = await queues.receive(topic, queue, { max: request.body?.max ?? 1, visibilityMs: request.body?.visibilityMs, waitMs: request.body?.waitMs ?? 0 }, abort.signal, waitSlot);
      if (request.query.format === 'binary') {
        return reply.type(QUEUE_MESSAGES_CONTENT_TYPE).send(encodeQueueMessages(received.map(({ receipt, partition, offset, deliveryCount, message }) => ({ receipt, partition, offset, deliveryCount, record: message.record }))));
      }
      const format: ValueFormat = request.query.valueFormat ?? 'auto';
      return {
        messages: received.map(({ receipt, partition, offset, deliveryCount, message }) => ({
          receipt,
          partition,
          deliveryCount,
          ...toJsonRecord(message.record, format),
          offset,
        })),
      };
    },
  });

  for (const kind of ['ack', 'nack', 'reject'] as const satisfies readonly Settlement[]) {
    app.post(`/v1/topics/:topic/queues/:queue/${kind}`, {
      schema: {
        tags,
        summary: {
          ack: 'Acknowledge: the messages are done',
          nack: 'Give messages back: delivered again (after delayMs)',
          reject: 'Dead-letter messages at once (reason in the dlq-reason header)',
        }[kind],
        params: QueueParams,
        querystring: SettleQuery,
        body: SettleBody,
        response: {
          200: Type.Object({
            results: Type.Array(
              answer({
                receipt: Type.String(),
                ok: Type.Boolean(),
                error: Type.Optional(answer({ code: Type.String(), message: Type.String() })),
                index: Type.Optional(Type.Integer({ description: 'results=failures: the position of the receipt in the request' })),
              }),
            ),
          }),
        },
      },
      handler: async (request) => {
        const { topic, queue } = request.params;
        const { receipts, delayMs, reason } = request.body;
        const results = await queues.settle(topic, queue, kind, receipts, { delayMs, reason });
        if (request.query.results !== 'failures') return { results };
        const failures = [];
        for (let index = 0; index < results.length; index++) if (!results[index]!.ok) failures.push({ ...results[index]!, index });
        return { results: failures };
      },
    });
  }
};
