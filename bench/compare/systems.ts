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
import { connectDriver } from './connect.js';
import type { ServerHandle, SystemName, SystemUnderTest, Tier } from './driver.js';
import { commandVersion, ensureCommand } from './peers/debian-package.js';
import { hasJetStream, NATS_SYNCED_NOTE, startNats } from './peers/nats-server.js';
import { startRedis } from './peers/redis-server.js';
import { startSpool } from './spool-driver.js';
import { startSpoolKafka } from './spool-kafka-driver.js';

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
  const peers: Peers = { redis: null, nats: null, versions: { spool: spoolVersion(), ioredis: packageVersion('ioredis'), 'nats.js': packageVersion('nats'), kafkajs: packageVersion('kafkajs') }, unavailable: {} };
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

function connected(server: ServerHandle): SystemUnderTest {
  return { server, driver: connectDriver(server.system, server) };
}

export async function startSystem(system: SystemName, tier: Tier, peers: Peers): Promise<SystemUnderTest> {
  switch (system) {
    case 'spool':
      return connected(await startSpool(tier));
    case 'spool-kafka':
      return connected(await startSpoolKafka(tier));
    case 'redis':
      return connected(await startRedis(peers.redis!, tier));
    case 'nats':
      return connected(await startNats(peers.nats!, tier));
  }
}
