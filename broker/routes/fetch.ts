/**
 * GET /v1/topics/:topic/partitions/:partition/records: read from an offset, `earliest` or `latest`,
 * long-polling up to maxWaitMs at the end of the log.
 *   format=json (default)  {records: [...], nextOffset, highWatermark, logStartOffset}
 *   format=msgpack         the same object in msgpack, values as bin
 *   format=batch           raw RecordBatch v2 bytes straight from the segment, offsets in headers
 *                          Spool-Next-Offset, Spool-High-Watermark, Spool-Log-Start-Offset
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { pack } from 'msgpackr';
import { once } from 'node:events';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BrokerError } from '../errors.js';
import type { FetchService } from '../fetch/fetch-service.js';
import { takeOverResponse } from '../live/event-stream-response.js';
import { toJsonRecord, toMsgpackRecord } from '../fetch/record-view.js';
import { BATCH_CONTENT_TYPE, MSGPACK_CONTENT_TYPE } from '../http/content-types.js';
import { brokerLimits } from '../limits.js';
import type { Quotas } from '../security/quotas.js';
import { ANONYMOUS } from '../security/request-principal.js';
import { traceFetchReady } from '../http/trace-channels.js';
import { answer, JsonRecordAnswer, OffsetQuery, parseOffsetQuery, PartitionParams, ValueFormatSchema } from './schemas.js';

export const fetchRoutes: FastifyPluginAsyncTypebox<{ fetcher: FetchService; quotas: Quotas }> = async (app, { fetcher, quotas }) => {
  // A followed fetch never ends by itself while records keep coming: closing the broker ends them.
  const followers = new Set<AbortController>();
  app.addHook('preClose', async () => {
    for (const follower of followers) follower.abort();
  });

  /**
   * The rest of a followed fetch (follow=true): the answer's headers and first batches go now, and
   * the connection stays open for the batches appended after them (FetchService.follow). Each
   * write is counted against the fetch quota; a reader over it is let go, and its next fetch is
   * answered 429 with Retry-After.
   */
  async function followOn(request: FastifyRequest, reply: FastifyReply, abort: AbortController, first: Buffer, stream: { topic: string; partition: number; nextOffset: number; maxBytes: number; maxWaitMs: number; principal: string }): Promise<void> {
    const raw = takeOverResponse(request, reply, abort);
    followers.add(abort);
    try {
      raw.writeHead(200);
      const { topic, partition, principal } = stream;
      let fromOffset = stream.nextOffset;
      const write = (data: Buffer, nextOffset: number): boolean => {
        if (abort.signal.aborted) return true; // the reader is gone: the loop ends at its next check
        const flowing = raw.write(data);
        quotas.record('fetch', principal, data.length);
        traceFetchReady(() => ({ request: request.raw, topic, partition, fromOffset, nextOffset, streamed: true }));
        fromOffset = nextOffset;
        try {
          quotas.check('fetch', principal);
        } catch {
          abort.abort();
        }
        return flowing;
      };
      const drained = () => once(raw, 'drain', { signal: abort.signal }).then(() => undefined, () => undefined);
      if (!raw.write(first)) await drained();
      await fetcher.follow({ topic, partition, offset: stream.nextOffset, maxBytes: stream.maxBytes, maxWaitMs: stream.maxWaitMs, signal: abort.signal, principal }, { write, drained });
    } finally {
      followers.delete(abort);
      raw.end();
    }
  }

  app.get('/v1/topics/:topic/partitions/:partition/records', {
    schema: {
      tags: ['records'],
      summary: 'Fetch records from an offset (long-polls with maxWaitMs)',
      params: PartitionParams,
      querystring: Type.Object(
        {
          offset: Type.Optional(OffsetQuery),
          maxBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: brokerLimits.fetchBytesMax })),
          maxWaitMs: Type.Optional(Type.Integer({ minimum: 0, maximum: brokerLimits.maxWaitMsMax })),
          format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('msgpack'), Type.Literal('batch')])),
          follow: Type.Optional(Type.Boolean({ description: 'format=batch only: once records are there, keep the answer open and stream further batches as they are appended (until maxWaitMs without any)' })),
          valueFormat: Type.Optional(ValueFormatSchema),
        },
        { additionalProperties: false },
      ),
      response: {
        200: {
          description: 'Records from the offset on; the positions also in headers Spool-Next-Offset, Spool-High-Watermark, Spool-Log-Start-Offset',
          content: {
            'application/json': {
              schema: answer({ records: Type.Array(JsonRecordAnswer), nextOffset: Type.Integer(), highWatermark: Type.Integer(), logStartOffset: Type.Integer() }),
            },
            [MSGPACK_CONTENT_TYPE]: { schema: Type.Unsafe({ description: 'the same object in msgpack, keys, values and headers as bin' }) },
            [BATCH_CONTENT_TYPE]: { schema: Type.Unsafe({ description: 'RecordBatch v2 bytes as stored' }) },
          },
        },
      },
    },
    handler: async (request, reply) => {
      const { topic, partition } = request.params;
      const { offset, maxBytes, maxWaitMs, format, valueFormat, follow } = request.query;
      const principal = request.principal ?? ANONYMOUS;
      if (follow && format !== 'batch') throw new BrokerError('SPOOL_ERR_BAD_REQUEST', 'follow=true streams raw batches: it needs format=batch', { field: 'follow', topic });
      quotas.check('fetch', principal); // over the fetch quota: 429 with Retry-After until the debt is paid
      const abort = new AbortController();
      request.raw.once('close', () => abort.abort());
      const fetchBytes = maxBytes ?? brokerLimits.fetchBytesDefault;
      // Taken before the wait, the rest given back after it: checked before and counted after,
      // twenty long-polls woken by one produce all passed the check and all read.
      quotas.record('fetch', principal, fetchBytes);
      const result = await fetcher
        .fetch({
          topic,
          partition,
          offset: parseOffsetQuery(offset ?? 'earliest'),
          maxBytes: fetchBytes,
          maxWaitMs: maxWaitMs ?? 0,
          signal: abort.signal,
          principal,
        })
        .catch((error: unknown) => {
          quotas.giveBack('fetch', principal, fetchBytes);
          throw error;
        });
      quotas.giveBack('fetch', principal, fetchBytes - result.data.length);
      const decoded = format === 'batch' ? null : fetcher.decode(result, topic, fetchBytes);
      const nextOffset = decoded ? decoded.nextOffset : result.nextOffset;
      const streamed = follow === true && result.data.length > 0;
      traceFetchReady(() => ({ request: request.raw, topic, partition, fromOffset: result.fromOffset, nextOffset, streamed }));
      reply.header('spool-next-offset', String(nextOffset));
      reply.header('spool-high-watermark', String(result.highWatermark));
      reply.header('spool-log-start-offset', String(result.logStartOffset));
      const positions = { nextOffset, highWatermark: result.highWatermark, logStartOffset: result.logStartOffset };
      if (streamed) {
        reply.type(BATCH_CONTENT_TYPE);
        const stream = { topic, partition, nextOffset, maxBytes: fetchBytes, maxWaitMs: maxWaitMs ?? 0, principal };
        return followOn(request, reply, abort, result.data, stream);
      }
      if (!decoded) return reply.type(BATCH_CONTENT_TYPE).send(result.data);
      const { records } = decoded;
      if (format === 'msgpack') {
        return reply.type(MSGPACK_CONTENT_TYPE).send(pack({ records: records.map(toMsgpackRecord), ...positions }));
      }
      return { records: records.map((record) => toJsonRecord(record, valueFormat ?? 'auto')), ...positions };
    },
  });
};
