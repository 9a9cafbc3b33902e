/**
 * The systems under test, each started fresh per run at one durability tier:
 *
 *   tier        Spool            Redis 7 (AOF)          NATS JetStream 2.9
 *   page-cache  --flush never    appendfsync everysec   defaults (periodic sync)
 *   synced      --flush always   appendfsync always     n/a: no per-message sync
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { SystemName, SystemUnderTest, Tier } from './driver.js';
import { NatsDriver } from './nats-driver.js';
import { commandVersion, ensureCommand } from './peers/debian-package.js';
import { hasJetStream, NATS_SYNCED_NOTE, startNats } from './peers/nats-server.js';
import { startRedis } from './peers/redis-server.js';
import { RedisDriver } from './redis-driver.js';
import { SpoolDriver, startSpool } from './spool-driver.js';

export const TIERS: readonly Tier[] = ['page-cache', 'synced'];

export interface Peers {
  /** Paths of the server binaries; null where the peer could not be installed. */
  redis: string | null;
  nats: string | null;
  versions: Record<string, string>;
  /** Why a system or tier has no figures. */
  unavailable: Partial<Record<`${SystemName}/${Tier}`, string>>;
}

function packageVersion(name: string): string {
  const require = createRequire(import.meta.url);
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function spoolVersion(): string {
  const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  try {
    return `${version} (${execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()})`;
  } catch {
    return version;
  }
}

/** Finds (installing when missing) the peers' servers and names every version involved. */
export function preparePeers(systems: readonly SystemName[]): Peers {
  const peers: Peers = { redis: null, nats: null, versions: { spool: spoolVersion(), ioredis: packageVersion('ioredis'), 'nats.js': packageVersion('nats') }, unavailable: {} };
  if (systems.includes('redis')) {
    peers.redis = ensureCommand('redis-server', 'redis-server');
    if (peers.redis) peers.versions.redis = commandVersion(peers.redis);
    else for (const tier of TIERS) peers.unavailable[`redis/${tier}`] = 'redis-server could not be installed';
  }
  if (systems.includes('nats')) {
    peers.nats = ensureCommand('nats-server', 'nats-server');
    if (peers.nats) {
      peers.versions.nats = commandVersion(peers.nats);
      if (!hasJetStream(peers.versions.nats)) {
        for (const tier of TIERS) peers.unavailable[`nats/${tier}`] = `${peers.versions.nats} is older than 2.2: no JetStream`;
        peers.nats = null;
      }
    } else for (const tier of TIERS) peers.unavailable[`nats/${tier}`] = 'nats-server could not be installed';
    peers.unavailable['nats/synced'] ??= NATS_SYNCED_NOTE;
  }
  return peers;
}

export async function startSystem(system: SystemName, tier: Tier, peers: Peers): Promise<SystemUnderTest> {
  switch (system) {
    case 'spool': {
      const server = await startSpool(tier);
      return { server, driver: new SpoolDriver(server.url) };
    }
    case 'redis': {
      const server = await startRedis(peers.redis!, tier);
      return { server, driver: new RedisDriver(server.port) };
    }
    case 'nats': {
      const server = await startNats(peers.nats!, tier);
      return { server, driver: new NatsDriver(server.port) };
    }
  }
}
