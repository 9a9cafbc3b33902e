/**
 * DeleteGroups (42): deletes empty groups with their committed offsets, through the group service
 * (the same as DELETE /v1/groups/:group): NON_EMPTY_GROUP while members are live, of either
 * protocol; GROUP_ID_NOT_FOUND for an unknown group; GROUP_AUTHORIZATION_FAILED for a group the
 * principal may not Delete.
 */
import type { KafkaApi } from '../context.js';
import { KafkaErrorCode, kafkaErrorOf } from '../error-codes.js';

export const deleteGroups: KafkaApi = {
  name: 'DeleteGroups',
  answersRefusals: true,
  handle: (body, request, services) => ({
    throttleTimeMs: 0,
    results: (body.groupsNames as string[]).map((groupId) => {
      const refused = request.refused.group(groupId);
      if (refused !== null) return { groupId, errorCode: refused };
      try {
        services.groups.delete(groupId);
        return { groupId, errorCode: KafkaErrorCode.NONE };
      } catch (error) {
        return { groupId, errorCode: kafkaErrorOf(error).errorCode };
      }
    }),
  }),
};
