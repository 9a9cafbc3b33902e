/**
 * SyncGroup (14): the leader hands in the assignment it computed; every member gets its part once
 * the leader's arrives (the broker relays the bytes, and decodes the consumer protocol's only to
 * show them in describe and lag).
 */
import type { KafkaApi } from '../context.js';
import { KafkaErrorCode } from '../error-codes.js';
import type { Message } from '../protocol/codec.js';

const EMPTY = Buffer.alloc(0);

export const syncGroup: KafkaApi = {
  name: 'SyncGroup',
  async handle(body, _request, services) {
    // Copied: the request frame's buffer is not kept past the request.
    const assignments = (body.assignments as Message[]).map((entry) => ({ memberId: entry.memberId as string, assignment: Buffer.from(entry.assignment as Buffer) }));
    if (assignments.some((entry) => entry.assignment.length > services.limits.kafkaGroupMemberBytesMax)) {
      return { throttleTimeMs: 0, errorCode: KafkaErrorCode.INVALID_REQUEST, protocolType: null, protocolName: null, assignment: EMPTY };
    }
    const ref = { groupId: body.groupId as string, memberId: body.memberId as string, groupInstanceId: body.groupInstanceId as string | null, generationId: body.generationId as number };
    const answer = await services.classicGroups.sync(ref, body.protocolType as string | null, body.protocolName as string | null, assignments);
    return { throttleTimeMs: 0, errorCode: KafkaErrorCode[answer.error], protocolType: answer.protocolType, protocolName: answer.protocolName, assignment: answer.assignment };
  },
};
