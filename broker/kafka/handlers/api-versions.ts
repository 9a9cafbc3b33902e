/** ApiVersions (18): the APIs and version ranges served, from the message definitions. */
import type { KafkaApi } from '../context.js';
import { KafkaErrorCode } from '../error-codes.js';
import { supportedApis } from '../apis.js';

export const apiVersions: KafkaApi = {
  name: 'ApiVersions',
  handle: () => ({ errorCode: KafkaErrorCode.NONE, apiKeys: supportedApis, throttleTimeMs: 0 }),
};
