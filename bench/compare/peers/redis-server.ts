/**
 * Redis 7 with an append-only file, the durable way to run Redis Streams:
 *   page-cache tier: appendfsync everysec (Redis's default for AOF: write(2) per event loop turn, fsync each second)
 *   synced tier:     appendfsync always   (fsync before replying; one fsync covers a whole pipeline)
 * RDB snapshots are off (`--save ''`), so the AOF is the only thing written.
 */
import type { ServerHandle, Tier } from '../driver.js';
import { answersOnPort, startServerProcess } from './server-process.js';

export const REDIS_FSYNC: Record<Tier, string> = { 'page-cache': 'everysec', synced: 'always' };

export async function startRedis(command: string, tier: Tier): Promise<ServerHandle> {
  const fsync = REDIS_FSYNC[tier];
  const server = await startServerProcess({
    name: 'redis',
    command,
    args: (port, dir) => ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', fsync, '--save', '', '--daemonize', 'no', '--logfile', ''],
    ready: (port) => answersOnPort(port, 'PING\r\n', '+PONG'),
  });
  return { ...server, url: `redis://127.0.0.1:${server.port}`, system: 'redis', tier, durability: `appendonly yes, appendfsync ${fsync}` };
}
