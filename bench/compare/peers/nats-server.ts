/**
 * NATS server with JetStream, file storage, its defaults otherwise. That is the page-cache tier:
 * JetStream 2.9 acknowledges a publish once the message is written to its block file and syncs
 * files on its own schedule (every 2 minutes); it has no option to sync each acknowledged message
 * (`sync_interval` arrived in 2.10), so NATS has no synced-tier figures: they read n/a.
 */
import type { ServerHandle, Tier } from '../driver.js';
import { answersOnPort, startServerProcess } from './server-process.js';

export const NATS_SYNCED_NOTE = 'NATS JetStream 2.9 has no per-message sync (fsync is periodic, every 2 min by default; sync_interval arrived in 2.10): n/a';

export async function startNats(command: string, tier: Tier): Promise<ServerHandle> {
  if (tier !== 'page-cache') throw new Error(NATS_SYNCED_NOTE);
  const server = await startServerProcess({
    name: 'nats',
    command,
    args: (port, dir) => ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(port)],
    ready: (port) => answersOnPort(port, null, 'INFO'),
  });
  return { ...server, url: `nats://127.0.0.1:${server.port}`, system: 'nats', tier, durability: 'JetStream file store, defaults (periodic sync)' };
}

/** JetStream needs 2.2 or later; the version line reads like "nats-server: v2.9.10". */
export function hasJetStream(versionLine: string): boolean {
  const match = /v?(\d+)\.(\d+)/.exec(versionLine);
  return match !== null && (Number(match[1]) > 2 || (Number(match[1]) === 2 && Number(match[2]) >= 2));
}
