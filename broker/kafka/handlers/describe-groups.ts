/**
 * DescribeGroups (15): a Kafka group's state, protocol and members (client id, host, metadata and
 * assignment bytes as the members sent them). A group without a Kafka member (HTTP, or offsets
 * only) is Empty; an unknown one Dead, as Kafka answers both; one the principal may not Describe
 * GROUP_AUTHORIZATION_FAILED.
 */
import { metadataFor } from '../../groups/classic-group.js';
import type { KafkaApi, KafkaServices } from '../context.js';
import { KafkaErrorCode } from '../error-codes.js';
import type { Message } from '../protocol/codec.js';

const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

function describeGroup(groupId: string, services: KafkaServices): Message {
  const group = services.classicGroups.group(groupId);
  const common = { errorCode: KafkaErrorCode.NONE, groupId, authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED };
  if (!group) {
    const known = services.groups.groupExists(groupId);
    return { ...common, groupState: known ? 'Empty' : 'Dead', protocolType: '', protocolData: '', members: [] };
  }
  const stable = group.state === 'Stable';
  return {
    ...common,
    groupState: group.state,
    protocolType: group.protocolType ?? '',
    protocolData: stable ? (group.protocolName ?? '') : '',
    members: [...group.members.values()].map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      clientId: member.clientId,
      clientHost: member.clientHost,
      memberMetadata: stable ? metadataFor(member, group.protocolName) : Buffer.alloc(0),
      memberAssignment: stable ? member.assignment : Buffer.alloc(0),
    })),
  };
}

export const describeGroups: KafkaApi = {
  name: 'DescribeGroups',
  answersRefusals: true,
  handle: (body, request, services) => ({
    throttleTimeMs: 0,
    groups: (body.groups as string[]).map((groupId) => {
      const refused = request.refused.group(groupId);
      return refused !== null ? { errorCode: refused, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED } : describeGroup(groupId, services);
    }),
  }),
};
