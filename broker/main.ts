/**
 * `spool serve` and `npm start`: runs a broker until SIGTERM or SIGINT, then stops accepting,
 * lets in-flight requests finish, syncs every partition, writes the clean-shutdown marker and
 * exits 0. Logs with pino: pretty on a terminal, JSON lines otherwise.
 */
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { buildBroker } from './app.js';
import { loadBrokerConfig } from './config.js';
import { brokerLimits } from './limits.js';

export interface ServeFlags {
  port?: string;
  host?: string;
  dataDir?: string;
  flush?: string;
  logLevel?: string;
  /** false with --no-console. */
  console?: boolean;
}

export async function serve(flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  // commander sets console: true when --no-console is absent; only the flag itself may override the environment.
  const config = loadBrokerConfig({ flags: { ...flags, console: flags.console === false ? false : undefined }, env });
  const pretty = process.stdout.isTTY === true;
  const broker = await buildBroker({
    config,
    logger: {
      level: config.logLevel,
      ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
    },
  });
  const { url } = await broker.listen();
  broker.app.log.info({ url, dataDir: config.dataDir, flush: config.flush }, `Spool is listening on ${url}${config.console ? ` (console: ${url}/console)` : ''}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    broker.app.log.info({ signal }, 'shutting down: finishing in-flight requests and syncing');
    const force = setTimeout(() => process.exit(1), brokerLimits.shutdownGraceMs);
    force.unref();
    broker.close().then(
      () => process.exit(0),
      (error: unknown) => {
        broker.app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('Run a Spool broker (127.0.0.1:9292, data in ./data by default)')
    .option('-p, --port <port>', 'port to listen on (env SPOOL_PORT)')
    .option('--host <host>', 'address to listen on (env SPOOL_HOST)')
    .option('-d, --data-dir <dir>', 'data directory (env SPOOL_DATA_DIR)')
    .option('--flush <policy>', 'always | never | interval:<ms> (env SPOOL_FLUSH)')
    .option('--log-level <level>', 'fatal | error | warn | info | debug | trace | silent')
    .option('--no-console', 'do not serve the web console at /console (env SPOOL_CONSOLE=false)')
    .action(async (flags: ServeFlags) => {
      await serve(flags);
    });
}

const isEntry = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isEntry) {
  serveCommand()
    .name('spool-serve')
    .parseAsync(['node', 'spool-serve', ...process.argv.slice(2)])
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
}
