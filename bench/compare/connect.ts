/** A driver connected to a started server, in whichever thread asks (the consumer side runs in a worker). */
import type { SystemDriver, SystemName } from './driver.js';
import { NatsDriver } from './nats-driver.js';
import { RedisDriver } from './redis-driver.js';
import { SpoolDriver } from './spool-driver.js';
import { SpoolKafkaDriver } from './spool-kafka-driver.js';

export interface ServerAddress {
  url: string;
  port: number;
}

export function connectDriver(system: SystemName, address: ServerAddress): SystemDriver {
  switch (system) {
    case 'spool':
      return new SpoolDriver(address.url);
    case 'spool-kafka':
      return new SpoolKafkaDriver(address.port);
    case 'redis':
      return new RedisDriver(address.port);
    case 'nats':
      return new NatsDriver(address.port);
  }
}
