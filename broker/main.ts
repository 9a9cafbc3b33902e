/**
 * `spool serve` and `npm start`: runs a broker until SIGTERM or SIGINT, then stops accepting,
 * lets in-flight requests finish, syncs every partition, writes the clean-shutdown marker and
 * exits 0. SIGHUP reloads the TLS certificate files (security/tls.ts). Logs with pino: pretty on a terminal, JSON lines otherwise.
 */
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { isSpoolError } from '../storage/index.js';
import { buildBroker } from './app.js';
import { type BrokerConfig, loadBrokerConfig } from './config.js';
import { configOptions } from './config-options.js';
import { kafkaProtocol } from './security/tls.js';

export async function serve(config: BrokerConfig): Promise<void> {
  const pretty = process.stdout.isTTY === true;
  const broker = await buildBroker({
    config,
    logger: {
      level: config.logLevel,
      ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
    },
  });
  const { url, kafka } = await broker.listen();
  // With TLS the Kafka listener may or may not speak it: say which, as clients must choose.
  const kafkaNote = kafka ? ` and kafka://${kafka.host}:${kafka.port}${config.tlsCert ? ` (${kafkaProtocol(config)})` : ''}` : '';
  const consoleNote = config.console ? ` (web console: ${url}/console)` : '';
  broker.app.log.info({ url, kafka, dataDir: config.dataDir, flush: config.flush }, `Spool is listening on ${url}${kafkaNote}${consoleNote}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    broker.app.log.info({ signal }, 'shutting down: finishing in-flight requests and syncing');
    const force = setTimeout(() => process.exit(1), config.shutdownGraceMs);
    force.unref();
    broker.close().then(
      () => process.exit(0),
      (error: unknown) => {
        broker.app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // Certificate rotation: new connections get the files' new certificates, open ones keep theirs.
  process.on('SIGHUP', () => broker.reloadTls());
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

export function serveCommand(env: NodeJS.ProcessEnv = process.env): Command {
  const command = new Command('serve')
    .description('Run a Spool broker (127.0.0.1:9292, data in ./data by default)')
    .option('-c, --config <file>', 'a JSON file of settings keyed by the flags below in camelCase, e.g. {"dataDir": "/var/lib/spool"} (env SPOOL_CONFIG)');
  for (const option of configOptions()) command.addOption(option);
  return command
    .addHelpText('after', '\nPrecedence: flags, then SPOOL_* environment variables, then the --config file, then the defaults.')
    .action(async ({ config: configFile, ...flags }: Record<string, unknown>) => {
      const file = (configFile as string | undefined) ?? (env.SPOOL_CONFIG || undefined);
      await serve(loadBrokerConfig({ flags, env, configFile: file }));
    });
}

const isEntry = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isEntry) {
  serveCommand()
    .name('spool-serve')
    .parseAsync(['node', 'spool-serve', ...process.argv.slice(2)])
    .catch((error: unknown) => {
      // A refusal to start (a locked data directory, a bad setting) names its code, as every error does.
      console.error(isSpoolError(error) ? `spool: ${error.code}: ${error.message}` : error instanceof Error ? error.message : error);
      process.exit(1);
    });
}
