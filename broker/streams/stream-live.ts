/**
 * GET /v1/topics/:topic/streams/:stream/live: one stream's events over Server-Sent Events, catch-up
 * then live. Each event's SSE `id` is its version, so a client that reconnects with
 * `Last-Event-ID: <version>` resumes after it (or from `?from=<version>`).
 *
 * The loop reads the stream page by page through its index (StreamService.read) from the next
 * version; with nothing new it sleeps on the partition's high watermark (a heartbeat comment when
 * nothing arrives for liveHeartbeatMs). Each page goes out in one write; a full socket stops the
 * loop until it drains (send()).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BrokerError } from '../errors.js';
import type { LiveDeps } from '../live/live-session.js';
import { openEventStream, takeOverResponse } from '../live/event-stream-response.js';
import { send } from '../live/live-tail.js';
import type { StreamService } from './stream-service.js';
import { principalOf } from '../security/request-principal.js';

/** Events read per step: a page of the catch-up. */
const PAGE_EVENTS = 100;

function resumeVersion(lastEventId: string | undefined, from: number | undefined): number {
  if (lastEventId === undefined) return from ?? 0;
  if (!/^[0-9]{1,15}$/.test(lastEventId)) {
    throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `Last-Event-ID ${JSON.stringify(lastEventId.slice(0, 40))} is not a stream version`, { field: 'Last-Event-ID' });
  }
  return Number(lastEventId) + 1;
}

export async function serveStreamLive(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: Pick<LiveDeps, 'registry' | 'metrics' | 'limits'> & { streams: StreamService },
  target: { topic: string; stream: string; from: number | undefined },
): Promise<void> {
  const { topic, stream } = target;
  const { log } = deps.streams.locate(topic, stream);
  let next = resumeVersion(request.headers['last-event-id'] as string | undefined, target.from);
  const subscriber = deps.registry.admit([topic], principalOf(request));
  const { abort } = subscriber;
  const response = takeOverResponse(request, reply, abort);
  deps.metrics.liveSubscribers.inc();
  subscriber.follow([topic]);
  try {
    openEventStream(response);
    while (!abort.signal.aborted && !log.isClosed) {
      const seen = log.highWatermark;
      const page = await deps.streams.read(topic, stream, { from: next, direction: 'forward', limit: PAGE_EVENTS });
      if (page.events.length > 0) {
        // One write for the page (as the live tail does for a read); a full socket waits for 'drain'.
        await send(response, page.events.map((event) => `id: ${event.version}\nevent: record\ndata: ${JSON.stringify(event)}\n\n`).join(''));
        next = page.events.at(-1)!.version + 1;
        deps.metrics.recordsOut.inc(topic, page.events.length);
        continue;
      }
      const woken = await log.waitForData(seen, deps.limits.liveHeartbeatMs, abort.signal);
      if (!woken && !abort.signal.aborted) await send(response, ': heartbeat\n\n');
    }
  } catch (error) {
    request.log.warn({ err: error, reqId: request.id, topic, stream }, 'stream live ended by an error');
  } finally {
    subscriber.release();
    deps.metrics.liveSubscribers.dec();
    response.end();
  }
}
