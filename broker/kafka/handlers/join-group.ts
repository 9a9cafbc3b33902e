/**
 * JoinGroup (11): a member joins a Kafka classic group, through the classic coordinator (states,
 * KIP-394 member ids, KIP-345 static members); the answer waits until the rebalance completes.
 * The group service first checks what both protocols share: the group id is not held by live
 * HTTP members, and a new group fits in groupsMax.
 */
import { isValidGroupId, type JoinAnswer } from '../../groups/classic-group.js';
import type { KafkaApi } from '../context.js';
import { KafkaErrorCode, kafkaErrorOf } from '../error-codes.js';
import type { Message } from '../protocol/codec.js';

function response(answer: JoinAnswer, errorCode: number = KafkaErrorCode[answer.error]): Message {
  return {
    throttleTimeMs: 0,
    errorCode,
    generationId: answer.generationId,
    protocolType: answer.protocolType,
    // Not nullable before v7: the empty string, as Kafka answers a failed join.
    protocolName: answer.protocolName ?? '',
    leader: answer.leader,
    skipAssignment: answer.skipAssignment,
    memberId: answer.memberId,
    members: answer.members,
  };
}

const refused = (memberId: string): JoinAnswer => ({ error: 'NONE', generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [], skipAssignment: false });

export const joinGroup: KafkaApi = {
  name: 'JoinGroup',
  async handle(body, request, services) {
    const groupId = body.groupId as string;
    const memberId = body.memberId as string;
    const protocols = (body.protocols as Message[]).map((protocol) => ({ name: protocol.name as string, metadata: Buffer.from(protocol.metadata as Buffer) }));
    const protocolBytes = protocols.reduce((sum, protocol) => sum + protocol.metadata.length, 0);
    if (protocolBytes > services.limits.kafkaGroupMemberBytesMax) return response(refused(memberId), KafkaErrorCode.INVALID_REQUEST);
    try {
      // An invalid id is answered INVALID_GROUP_ID by the coordinator, and never stored.
      if (isValidGroupId(groupId, services.limits.groupIdLengthMax)) services.groups.admitKafkaGroup(groupId);
    } catch (error) {
      return response(refused(memberId), kafkaErrorOf(error).errorCode);
    }
    const answer = await services.classicGroups.join({
      groupId,
      memberId,
      groupInstanceId: body.groupInstanceId as string | null,
      clientId: request.clientId ?? '',
      clientHost: request.clientHost,
      sessionTimeoutMs: body.sessionTimeoutMs as number,
      rebalanceTimeoutMs: body.rebalanceTimeoutMs as number,
      protocolType: body.protocolType as string,
      protocols,
      requireKnownMemberId: request.apiVersion >= 4,
    });
    return response(answer);
  },
};
