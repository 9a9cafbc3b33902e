/** DescribeCluster (60): this one broker, which is also the controller. */
import type { KafkaApi } from '../context.js';
import { NODE_ID } from '../cluster.js';
import { KafkaErrorCode } from '../error-codes.js';

export const describeCluster: KafkaApi = {
  name: 'DescribeCluster',
  handle: (body, _request, services) => ({
    throttleTimeMs: 0,
    errorCode: KafkaErrorCode.NONE,
    errorMessage: null,
    endpointType: body.endpointType,
    clusterId: services.cluster.clusterId,
    controllerId: NODE_ID,
    brokers: services.cluster.brokers().map(({ nodeId, host, port, rack }) => ({ brokerId: nodeId, host, port, rack })),
    clusterAuthorizedOperations: -2147483648,
  }),
};
