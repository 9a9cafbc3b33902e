/** GET /v1/stats: version, uptime, disk, connections, traffic rates and their recent history, per-topic sizes and rates. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { StatsService } from '../stats/stats-service.js';

const Rates = {
  recordsInPerSec: Type.Number(),
  bytesInPerSec: Type.Number(),
  recordsOutPerSec: Type.Number(),
  bytesOutPerSec: Type.Number(),
};

const StatsAnswer = Type.Object({
  version: Type.String(),
  startedAt: Type.String({ format: 'date-time' }),
  uptimeMs: Type.Integer(),
  dataDir: Type.String(),
  dataDirBytes: Type.Integer({ description: 'segment files of every partition plus the SQLite metadata files' }),
  disk: Type.Object({ freeBytes: Type.Integer(), totalBytes: Type.Integer() }, { description: 'the file system holding the data directory' }),
  connections: Type.Integer({ description: 'open HTTP connections' }),
  liveSubscribers: Type.Integer(),
  longPolls: Type.Integer(),
  rates: Type.Object(Rates, { description: 'broker-wide, over the last few samples' }),
  fsync: Type.Object({ count: Type.Integer(), meanMs: Type.Number(), maxMs: Type.Number(), windowMs: Type.Integer() }, { description: 'fdatasyncs of segment files over the history window' }),
  history: Type.Object({
    intervalMs: Type.Integer(),
    points: Type.Array(Type.Object({ at: Type.Integer(), ...Rates, fsyncs: Type.Integer(), fsyncMeanMs: Type.Number(), fsyncMaxMs: Type.Number() })),
  }),
  topics: Type.Array(
    Type.Object({
      name: Type.String(),
      partitions: Type.Integer(),
      bytes: Type.Integer(),
      segments: Type.Integer(),
      retentionMs: Type.Integer(),
      retentionBytes: Type.Integer(),
      cleanupPolicy: Type.String(),
      ...Rates,
    }),
  ),
});

export const statsRoutes: FastifyPluginAsyncTypebox<{ stats: StatsService; historyPointsMax: number }> = async (app, { stats, historyPointsMax }) => {
  app.get('/v1/stats', {
    schema: {
      tags: ['operations'],
      summary: 'Broker version, uptime, data directory size, free disk, connections, traffic rates with their recent history (one point a second), per-topic sizes and rates',
      querystring: Type.Object(
        { history: Type.Optional(Type.Integer({ minimum: 0, maximum: historyPointsMax, default: 60, description: 'history points to return, newest last' })) },
        { additionalProperties: false },
      ),
      response: { 200: StatsAnswer },
    },
    handler: async (request) => stats.stats(request.query.history ?? 60),
  });
};
