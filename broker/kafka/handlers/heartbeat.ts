/** Heartbeat (12): keeps a member's session; REBALANCE_IN_PROGRESS tells it to join again. */
import type { KafkaApi } from '../context.js';
import { KafkaErrorCode } from '../error-codes.js';

export const heartbeat: KafkaApi = {
  name: 'Heartbeat',
  handle(body, _request, services) {
    const error = services.classicGroups.heartbeat({
      groupId: body.groupId as string,
      memberId: body.memberId as string,
      groupInstanceId: body.groupInstanceId as string | null,
      generationId: body.generationId as number,
    });
    return { throttleTimeMs: 0, errorCode: KafkaErrorCode[error] };
  },
};
