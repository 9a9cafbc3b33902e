/**
 * Kafka's message definitions served by Spool, as data (broker/kafka/messages/*.json; see
 * docs/kafka.md for their origin), compiled on first use. One place lists them.
 */
import { CompiledMessage, type MessageSpec } from './schema.js';
import AlterConfigsRequestJson from '../messages/AlterConfigsRequest.json' with { type: 'json' };
import AlterConfigsResponseJson from '../messages/AlterConfigsResponse.json' with { type: 'json' };
import ApiVersionsRequestJson from '../messages/ApiVersionsRequest.json' with { type: 'json' };
import ApiVersionsResponseJson from '../messages/ApiVersionsResponse.json' with { type: 'json' };
import CreateAclsRequestJson from '../messages/CreateAclsRequest.json' with { type: 'json' };
import CreateAclsResponseJson from '../messages/CreateAclsResponse.json' with { type: 'json' };
import DeleteAclsRequestJson from '../messages/DeleteAclsRequest.json' with { type: 'json' };
import DeleteAclsResponseJson from '../messages/DeleteAclsResponse.json' with { type: 'json' };
import DescribeAclsRequestJson from '../messages/DescribeAclsRequest.json' with { type: 'json' };
import DescribeAclsResponseJson from '../messages/DescribeAclsResponse.json' with { type: 'json' };
import CreatePartitionsRequestJson from '../messages/CreatePartitionsRequest.json' with { type: 'json' };
import CreatePartitionsResponseJson from '../messages/CreatePartitionsResponse.json' with { type: 'json' };
import CreateTopicsRequestJson from '../messages/CreateTopicsRequest.json' with { type: 'json' };
import CreateTopicsResponseJson from '../messages/CreateTopicsResponse.json' with { type: 'json' };
import DeleteGroupsRequestJson from '../messages/DeleteGroupsRequest.json' with { type: 'json' };
import DeleteGroupsResponseJson from '../messages/DeleteGroupsResponse.json' with { type: 'json' };
import DeleteRecordsRequestJson from '../messages/DeleteRecordsRequest.json' with { type: 'json' };
import DeleteRecordsResponseJson from '../messages/DeleteRecordsResponse.json' with { type: 'json' };
import DeleteTopicsRequestJson from '../messages/DeleteTopicsRequest.json' with { type: 'json' };
import DeleteTopicsResponseJson from '../messages/DeleteTopicsResponse.json' with { type: 'json' };
import DescribeClusterRequestJson from '../messages/DescribeClusterRequest.json' with { type: 'json' };
import DescribeClusterResponseJson from '../messages/DescribeClusterResponse.json' with { type: 'json' };
import DescribeConfigsRequestJson from '../messages/DescribeConfigsRequest.json' with { type: 'json' };
import DescribeConfigsResponseJson from '../messages/DescribeConfigsResponse.json' with { type: 'json' };
import DescribeGroupsRequestJson from '../messages/DescribeGroupsRequest.json' with { type: 'json' };
import DescribeGroupsResponseJson from '../messages/DescribeGroupsResponse.json' with { type: 'json' };
import FetchRequestJson from '../messages/FetchRequest.json' with { type: 'json' };
import FetchResponseJson from '../messages/FetchResponse.json' with { type: 'json' };
import FindCoordinatorRequestJson from '../messages/FindCoordinatorRequest.json' with { type: 'json' };
import FindCoordinatorResponseJson from '../messages/FindCoordinatorResponse.json' with { type: 'json' };
import HeartbeatRequestJson from '../messages/HeartbeatRequest.json' with { type: 'json' };
import HeartbeatResponseJson from '../messages/HeartbeatResponse.json' with { type: 'json' };
import IncrementalAlterConfigsRequestJson from '../messages/IncrementalAlterConfigsRequest.json' with { type: 'json' };
import IncrementalAlterConfigsResponseJson from '../messages/IncrementalAlterConfigsResponse.json' with { type: 'json' };
import InitProducerIdRequestJson from '../messages/InitProducerIdRequest.json' with { type: 'json' };
import InitProducerIdResponseJson from '../messages/InitProducerIdResponse.json' with { type: 'json' };
import JoinGroupRequestJson from '../messages/JoinGroupRequest.json' with { type: 'json' };
import JoinGroupResponseJson from '../messages/JoinGroupResponse.json' with { type: 'json' };
import LeaveGroupRequestJson from '../messages/LeaveGroupRequest.json' with { type: 'json' };
import LeaveGroupResponseJson from '../messages/LeaveGroupResponse.json' with { type: 'json' };
import ListGroupsRequestJson from '../messages/ListGroupsRequest.json' with { type: 'json' };
import ListGroupsResponseJson from '../messages/ListGroupsResponse.json' with { type: 'json' };
import ListOffsetsRequestJson from '../messages/ListOffsetsRequest.json' with { type: 'json' };
import ListOffsetsResponseJson from '../messages/ListOffsetsResponse.json' with { type: 'json' };
import MetadataRequestJson from '../messages/MetadataRequest.json' with { type: 'json' };
import MetadataResponseJson from '../messages/MetadataResponse.json' with { type: 'json' };
import OffsetCommitRequestJson from '../messages/OffsetCommitRequest.json' with { type: 'json' };
import OffsetCommitResponseJson from '../messages/OffsetCommitResponse.json' with { type: 'json' };
import OffsetDeleteRequestJson from '../messages/OffsetDeleteRequest.json' with { type: 'json' };
import OffsetDeleteResponseJson from '../messages/OffsetDeleteResponse.json' with { type: 'json' };
import OffsetFetchRequestJson from '../messages/OffsetFetchRequest.json' with { type: 'json' };
import OffsetFetchResponseJson from '../messages/OffsetFetchResponse.json' with { type: 'json' };
import ProduceRequestJson from '../messages/ProduceRequest.json' with { type: 'json' };
import ProduceResponseJson from '../messages/ProduceResponse.json' with { type: 'json' };
import SaslAuthenticateRequestJson from '../messages/SaslAuthenticateRequest.json' with { type: 'json' };
import SaslAuthenticateResponseJson from '../messages/SaslAuthenticateResponse.json' with { type: 'json' };
import SaslHandshakeRequestJson from '../messages/SaslHandshakeRequest.json' with { type: 'json' };
import SaslHandshakeResponseJson from '../messages/SaslHandshakeResponse.json' with { type: 'json' };
import RequestHeaderJson from '../messages/RequestHeader.json' with { type: 'json' };
import ResponseHeaderJson from '../messages/ResponseHeader.json' with { type: 'json' };
import SyncGroupRequestJson from '../messages/SyncGroupRequest.json' with { type: 'json' };
import SyncGroupResponseJson from '../messages/SyncGroupResponse.json' with { type: 'json' };

const load = (json: unknown) => new CompiledMessage(json as MessageSpec);

export const RequestHeader = load(RequestHeaderJson);
export const ResponseHeader = load(ResponseHeaderJson);

/** Request and response definition of every API served, by name. */
export const messages = {
  AlterConfigs: { request: load(AlterConfigsRequestJson), response: load(AlterConfigsResponseJson) },
  ApiVersions: { request: load(ApiVersionsRequestJson), response: load(ApiVersionsResponseJson) },
  CreateAcls: { request: load(CreateAclsRequestJson), response: load(CreateAclsResponseJson) },
  CreatePartitions: { request: load(CreatePartitionsRequestJson), response: load(CreatePartitionsResponseJson) },
  CreateTopics: { request: load(CreateTopicsRequestJson), response: load(CreateTopicsResponseJson) },
  DeleteAcls: { request: load(DeleteAclsRequestJson), response: load(DeleteAclsResponseJson) },
  DeleteGroups: { request: load(DeleteGroupsRequestJson), response: load(DeleteGroupsResponseJson) },
  DeleteRecords: { request: load(DeleteRecordsRequestJson), response: load(DeleteRecordsResponseJson) },
  DeleteTopics: { request: load(DeleteTopicsRequestJson), response: load(DeleteTopicsResponseJson) },
  DescribeAcls: { request: load(DescribeAclsRequestJson), response: load(DescribeAclsResponseJson) },
  DescribeCluster: { request: load(DescribeClusterRequestJson), response: load(DescribeClusterResponseJson) },
  DescribeConfigs: { request: load(DescribeConfigsRequestJson), response: load(DescribeConfigsResponseJson) },
  DescribeGroups: { request: load(DescribeGroupsRequestJson), response: load(DescribeGroupsResponseJson) },
  Fetch: { request: load(FetchRequestJson), response: load(FetchResponseJson) },
  FindCoordinator: { request: load(FindCoordinatorRequestJson), response: load(FindCoordinatorResponseJson) },
  Heartbeat: { request: load(HeartbeatRequestJson), response: load(HeartbeatResponseJson) },
  IncrementalAlterConfigs: { request: load(IncrementalAlterConfigsRequestJson), response: load(IncrementalAlterConfigsResponseJson) },
  InitProducerId: { request: load(InitProducerIdRequestJson), response: load(InitProducerIdResponseJson) },
  JoinGroup: { request: load(JoinGroupRequestJson), response: load(JoinGroupResponseJson) },
  LeaveGroup: { request: load(LeaveGroupRequestJson), response: load(LeaveGroupResponseJson) },
  ListGroups: { request: load(ListGroupsRequestJson), response: load(ListGroupsResponseJson) },
  ListOffsets: { request: load(ListOffsetsRequestJson), response: load(ListOffsetsResponseJson) },
  Metadata: { request: load(MetadataRequestJson), response: load(MetadataResponseJson) },
  OffsetCommit: { request: load(OffsetCommitRequestJson), response: load(OffsetCommitResponseJson) },
  OffsetDelete: { request: load(OffsetDeleteRequestJson), response: load(OffsetDeleteResponseJson) },
  OffsetFetch: { request: load(OffsetFetchRequestJson), response: load(OffsetFetchResponseJson) },
  Produce: { request: load(ProduceRequestJson), response: load(ProduceResponseJson) },
  SaslAuthenticate: { request: load(SaslAuthenticateRequestJson), response: load(SaslAuthenticateResponseJson) },
  SaslHandshake: { request: load(SaslHandshakeRequestJson), response: load(SaslHandshakeResponseJson) },
  SyncGroup: { request: load(SyncGroupRequestJson), response: load(SyncGroupResponseJson) },
};

export type ApiName = keyof typeof messages;

