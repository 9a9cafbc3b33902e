/**
 * LeaveGroup (13): members leave at once instead of waiting for their session to run out. v0-v2
 * name one member; v3+ a list, each by member id or group.instance.id, each answered apart.
 */
import type { KafkaApi } from '../context.js';
import { KafkaErrorCode } from '../error-codes.js';
import type { Message } from '../protocol/codec.js';

export const leaveGroup: KafkaApi = {
  name: 'LeaveGroup',
  handle(body, request, services) {
    const groupId = body.groupId as string;
    if (request.apiVersion < 3) {
      return { throttleTimeMs: 0, errorCode: KafkaErrorCode[services.classicGroups.leave(groupId, body.memberId as string, null)], members: [] };
    }
    const members = (body.members as Message[]).map((member) => {
      const error = services.classicGroups.leave(groupId, member.memberId as string, member.groupInstanceId as string | null);
      return { memberId: member.memberId, groupInstanceId: member.groupInstanceId, errorCode: KafkaErrorCode[error] };
    });
    return { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE, members };
  },
};
