/**
 * DeleteGroups (42): deletes empty groups with their committed offsets, through the group service
 * (the same as DELETE /v1/groups/:group): NON_EMPTY_GROUP while members are live, of either
 * protocol; GROUP_ID_NOT_FOUND for an unknown group.
 */
import type { KafkaApi } from '../context.js';
import { KafkaErrorCode, kafkaErrorOf } from '../error-codes.js';

export const deleteGroups: KafkaApi = {
  name: 'DeleteGroups',
  handle: (body, _request, services) => ({
    throttleTimeMs: 0,
    results: (body.groupsNames as string[]).map((groupId) => {
      try {
        services.groups.delete(groupId);
        return { groupId, errorCode: KafkaErrorCode.NONE };
      } catch (error) {
        return { groupId, errorCode: kafkaErrorOf(error).errorCode };
      }
    }),
  }),
};
