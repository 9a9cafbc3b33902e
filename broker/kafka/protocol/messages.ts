/**
 * Kafka's message definitions served by Spool, as data (broker/kafka/messages/*.json; see
 * docs/kafka.md for their origin), compiled on first use. One place lists them.
 */
import { CompiledMessage, type MessageSpec } from './schema.js';
import AlterConfigsRequestJson from '../messages/AlterConfigsRequest.json' with { type: 'json' };
import AlterConfigsResponseJson from '../messages/AlterConfigsResponse.json' with { type: 'json' };
import ApiVersionsRequestJson from '../messages/ApiVersionsRequest.json' with { type: 'json' };
import ApiVersionsResponseJson from '../messages/ApiVersionsResponse.json' with { type: 'json' };
import CreatePartitionsRequestJson from '../messages/CreatePartitionsRequest.json' with { type: 'json' };
import CreatePartitionsResponseJson from '../messages/CreatePartitionsResponse.json' with { type: 'json' };
import CreateTopicsRequestJson from '../messages/CreateTopicsRequest.json' with { type: 'json' };
import CreateTopicsResponseJson from '../messages/CreateTopicsResponse.json' with { type: 'json' };
import DeleteRecordsRequestJson from '../messages/DeleteRecordsRequest.json' with { type: 'json' };
import DeleteRecordsResponseJson from '../messages/DeleteRecordsResponse.json' with { type: 'json' };
import DeleteTopicsRequestJson from '../messages/DeleteTopicsRequest.json' with { type: 'json' };
import DeleteTopicsResponseJson from '../messages/DeleteTopicsResponse.json' with { type: 'json' };
import DescribeClusterRequestJson from '../messages/DescribeClusterRequest.json' with { type: 'json' };
import DescribeClusterResponseJson from '../messages/DescribeClusterResponse.json' with { type: 'json' };
import DescribeConfigsRequestJson from '../messages/DescribeConfigsRequest.json' with { type: 'json' };
import DescribeConfigsResponseJson from '../messages/DescribeConfigsResponse.json' with { type: 'json' };
import FetchRequestJson from '../messages/FetchRequest.json' with { type: 'json' };
import FetchResponseJson from '../messages/FetchResponse.json' with { type: 'json' };
import IncrementalAlterConfigsRequestJson from '../messages/IncrementalAlterConfigsRequest.json' with { type: 'json' };
import IncrementalAlterConfigsResponseJson from '../messages/IncrementalAlterConfigsResponse.json' with { type: 'json' };
import ListOffsetsRequestJson from '../messages/ListOffsetsRequest.json' with { type: 'json' };
import ListOffsetsResponseJson from '../messages/ListOffsetsResponse.json' with { type: 'json' };
import MetadataRequestJson from '../messages/MetadataRequest.json' with { type: 'json' };
import MetadataResponseJson from '../messages/MetadataResponse.json' with { type: 'json' };
import ProduceRequestJson from '../messages/ProduceRequest.json' with { type: 'json' };
import ProduceResponseJson from '../messages/ProduceResponse.json' with { type: 'json' };
import SaslAuthenticateRequestJson from '../messages/SaslAuthenticateRequest.json' with { type: 'json' };
import SaslAuthenticateResponseJson from '../messages/SaslAuthenticateResponse.json' with { type: 'json' };
import SaslHandshakeRequestJson from '../messages/SaslHandshakeRequest.json' with { type: 'json' };
import SaslHandshakeResponseJson from '../messages/SaslHandshakeResponse.json' with { type: 'json' };
import RequestHeaderJson from '../messages/RequestHeader.json' with { type: 'json' };
import ResponseHeaderJson from '../messages/ResponseHeader.json' with { type: 'json' };

const load = (json: unknown) => new CompiledMessage(json as MessageSpec);

export const RequestHeader = load(RequestHeaderJson);
export const ResponseHeader = load(ResponseHeaderJson);

/** Request and response definition of every API served, by name. */
export const messages = {
  AlterConfigs: { request: load(AlterConfigsRequestJson), response: load(AlterConfigsResponseJson) },
  ApiVersions: { request: load(ApiVersionsRequestJson), response: load(ApiVersionsResponseJson) },
  CreatePartitions: { request: load(CreatePartitionsRequestJson), response: load(CreatePartitionsResponseJson) },
  CreateTopics: { request: load(CreateTopicsRequestJson), response: load(CreateTopicsResponseJson) },
  DeleteRecords: { request: load(DeleteRecordsRequestJson), response: load(DeleteRecordsResponseJson) },
  DeleteTopics: { request: load(DeleteTopicsRequestJson), response: load(DeleteTopicsResponseJson) },
  DescribeCluster: { request: load(DescribeClusterRequestJson), response: load(DescribeClusterResponseJson) },
  DescribeConfigs: { request: load(DescribeConfigsRequestJson), response: load(DescribeConfigsResponseJson) },
  Fetch: { request: load(FetchRequestJson), response: load(FetchResponseJson) },
  IncrementalAlterConfigs: { request: load(IncrementalAlterConfigsRequestJson), response: load(IncrementalAlterConfigsResponseJson) },
  ListOffsets: { request: load(ListOffsetsRequestJson), response: load(ListOffsetsResponseJson) },
  Metadata: { request: load(MetadataRequestJson), response: load(MetadataResponseJson) },
  Produce: { request: load(ProduceRequestJson), response: load(ProduceResponseJson) },
  SaslAuthenticate: { request: load(SaslAuthenticateRequestJson), response: load(SaslAuthenticateResponseJson) },
  SaslHandshake: { request: load(SaslHandshakeRequestJson), response: load(SaslHandshakeResponseJson) },
};

export type ApiName = keyof typeof messages;

