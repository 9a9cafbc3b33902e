/**
 * ListGroups (16): every group the broker knows, Kafka and HTTP alike (HTTP groups, and groups
 * with only committed offsets, have the empty protocol type, as Kafka's offset-only groups do).
 * v4+ filter by state, v5+ by type (all of Spool's groups are "classic").
 */
import type { KafkaApi } from '../context.js';
import { KafkaErrorCode } from '../error-codes.js';

const GROUP_TYPE = 'classic';

export const listGroups: KafkaApi = {
  name: 'ListGroups',
  async handle(body, _request, services) {
    const states = new Set((body.statesFilter as string[]).map((state) => state.toLowerCase()));
    const types = new Set((body.typesFilter as string[]).map((type) => type.toLowerCase()));
    const groups = (await services.groups.list())
      .map((group) => ({ groupId: group.name, protocolType: services.classicGroups.group(group.name)?.protocolType ?? '', groupState: group.state, groupType: GROUP_TYPE }))
      .filter((group) => (states.size === 0 || states.has(group.groupState.toLowerCase())) && (types.size === 0 || types.has(GROUP_TYPE)));
    return { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE, groups };
  },
};
