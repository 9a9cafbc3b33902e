/**
 * ListGroups (16): every group the broker knows, Kafka and HTTP alike (HTTP groups, and groups
 * with only committed offsets, have the empty protocol type, as Kafka's offset-only groups do).
 * v4+ filter by state, v5+ by type (all of Spool's groups are "classic"). Without Describe on the
 * cluster, only the groups the principal may Describe are listed (as Kafka does).
 */
import { mayAccess } from '../authorization.js';
import type { KafkaApi } from '../context.js';
import { KafkaErrorCode } from '../error-codes.js';

const GROUP_TYPE = 'classic';

export const listGroups: KafkaApi = {
  name: 'ListGroups',
  answersRefusals: true,
  async handle(body, request, services) {
    // Kafka's rule: Describe on the cluster lists every group, else those the principal may Describe.
    const visible = (group: string) => request.refused.cluster === null || mayAccess(request.session, services, 'Describe', 'group', group);
    const states = new Set((body.statesFilter as string[]).map((state) => state.toLowerCase()));
    const types = new Set((body.typesFilter as string[]).map((type) => type.toLowerCase()));
    const groups = (await services.groups.list())
      .map((group) => ({ groupId: group.name, protocolType: services.classicGroups.group(group.name)?.protocolType ?? '', groupState: group.state, groupType: GROUP_TYPE }))
      .filter((group) => visible(group.groupId) && (states.size === 0 || states.has(group.groupState.toLowerCase())) && (types.size === 0 || types.has(GROUP_TYPE)));
    return { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE, groups };
  },
};
