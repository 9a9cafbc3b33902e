// The broker's public face: `import { startBroker } from 'spool-broker/broker'` (docs/embedded.md).
export { startBroker, type StartBrokerOptions, type EmbeddedBroker, type BrokerSettings } from './embedded.js';
export type { BrokerConfig } from './config.js';
export type { BrokerLimits } from './limits.js';
export { BrokerError, brokerErrors, type BrokerErrorCode } from './errors.js';
