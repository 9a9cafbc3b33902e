/**
 * Serves one live subscription over a hijacked response, for both live routes: admission against
 * the bound, start positions, metrics, per-topic counts, and clean-up however it ends.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PartitionLog } from '../../storage/index.js';
import type { ValueFormat } from '../fetch/record-view.js';
import type { BrokerLimits } from '../limits.js';
import type { BrokerMetrics } from '../metrics.js';
import type { AppendSignal } from './append-signal.js';
import { takeOverResponse } from './event-stream-response.js';
import { runLiveTail } from './live-tail.js';
import { RateBudget } from './rate-budget.js';
import type { LiveRegistry } from './live-registry.js';
import { startSources } from './resume.js';
import { TopicFollower } from './topic-follower.js';
import type { TopicService } from '../topics/topic-service.js';
import { principalOf } from '../security/request-principal.js';

export interface LiveDeps {
  topics: TopicService;
  registry: LiveRegistry;
  metrics: BrokerMetrics;
  limits: BrokerLimits;
  appends: AppendSignal;
}

export interface LivePlan {
  /** Topics the subscription names exactly (they keep temporary topics alive). */
  named: string[];
  /** Either fixed partitions, or `matches`: every matching topic, including topics created later. */
  logs?: PartitionLog[];
  matches?: (topic: string) => boolean;
  qualifiedIds: boolean;
  from: 'earliest' | 'latest' | undefined;
  valueFormat: ValueFormat | undefined;
  /** A sampled tail (see rate-budget.ts). */
  maxRecordsPerSec?: number;
}

export async function serveLive(request: FastifyRequest, reply: FastifyReply, deps: LiveDeps, plan: LivePlan): Promise<void> {
  const subscriber = deps.registry.admit(plan.named, principalOf(request));
  // Listening for new topics before listing the current ones: none falls in between.
  const follower = plan.matches ? new TopicFollower(deps.topics, plan.matches) : undefined;
  let sources;
  try {
    const logs = follower ? follower.logs() : (plan.logs ?? []);
    sources = await startSources(logs, request.headers['last-event-id'] as string | undefined, plan.qualifiedIds, plan.from);
  } catch (error) {
    subscriber.release();
    follower?.dispose();
    throw error;
  }
  const { abort } = subscriber;
  const response = takeOverResponse(request, reply, abort);
  deps.metrics.liveSubscribers.inc();
  try {
    await runLiveTail(response, sources, {
      qualifiedIds: plan.qualifiedIds,
      valueFormat: plan.valueFormat ?? 'auto',
      signal: abort.signal,
      readBytes: deps.limits.liveReadBytes,
      heartbeatMs: deps.limits.liveHeartbeatMs,
      budget: plan.maxRecordsPerSec === undefined ? undefined : new RateBudget(plan.maxRecordsPerSec),
      follower,
      watcher: deps.appends.watcher(),
      onSources: (current) => subscriber.follow(current.filter((source) => !source.log.isClosed).map((source) => source.log.topic)),
      onRecords: (name, count, bytes) => {
        deps.metrics.recordsOut.inc(name, count);
        deps.metrics.bytesOut.inc(name, bytes);
      },
    });
  } catch (error) {
    request.log.warn({ err: error, reqId: request.id, named: plan.named }, 'live tail ended by an error');
  } finally {
    follower?.dispose();
    subscriber.release();
    deps.metrics.liveSubscribers.dec();
    reply.raw.end();
  }
}
