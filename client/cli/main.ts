#!/usr/bin/env node
/**
 * The `spool` command. Every verb has --help; `--url` (or SPOOL_URL) names the broker, by default
 * http://127.0.0.1:9292; an https:// broker with a private CA takes --ca (and --cert/--key for a
 * client certificate). Exit status: 0 done, 1 the broker or the network said no (the message
 * names the SPOOL_ERR_* code), 2 bad usage.
 */
import { Command, CommanderError, Option } from 'commander';
import { DEFAULT_URL } from '../spool.js';
import { aclCommand } from './commands/acl.js';
import { checkCommand } from './commands/check.js';
import { tokensCommand, usersCommand } from './commands/users.js';
import { consumeCommand } from './commands/consume.js';
import { groupsCommand } from './commands/groups.js';
import { produceCommand } from './commands/produce.js';
import { queueCommand } from './commands/queue.js';
import { streamsCommand } from './commands/streams.js';
import { topicsCommand } from './commands/topics.js';
import { connector } from './connect.js';
import { brokerUrlOption, pemFile } from './options.js';
import { endQuietlyWhenStdoutCloses, ExitCode, reportFailure } from './output.js';

// Not for `serve`: a broker whose log reader went away keeps serving (pino handles its stream).
if (process.argv[2] !== 'serve') endQuietlyWhenStdoutCloses();

const program = new Command('spool')
  .description('Spool: a persistent, log-structured message broker for Node.js')
  .addOption(new Option('-u, --url <url>', 'the broker, http(s)://host:port').env('SPOOL_URL').default(DEFAULT_URL).argParser(brokerUrlOption))
  .addOption(new Option('--token <token>', 'an API token (spool tokens create); prefer the environment variable, which ps does not show').env('SPOOL_TOKEN'))
  .addOption(new Option('--user <name>', 'log in as this user; the password comes from SPOOL_PASSWORD').env('SPOOL_USER'))
  .addOption(new Option('--ca <file>', 'PEM CA(s) an https:// broker\'s certificate must chain to (a private CA)').env('SPOOL_CA').argParser(pemFile))
  .addOption(new Option('--cert <file>', 'PEM client certificate, for a broker with tlsClientAuth (needs --key)').env('SPOOL_CLIENT_CERT').argParser(pemFile))
  .addOption(new Option('--key <file>', 'PEM private key of --cert').env('SPOOL_CLIENT_KEY').argParser(pemFile))
  .showHelpAfterError()
  .exitOverride();

const { connect, close } = connector(() => {
  const { url, token, user, ca, cert, key } = program.opts<{ url: string; token?: string; user?: string; ca?: Buffer; cert?: Buffer; key?: Buffer }>();
  const tls = ca || cert || key ? { ca, cert, key } : undefined;
  return { url, token, user, password: process.env.SPOOL_PASSWORD, ...(tls ? { tls } : {}) };
});

// `serve` runs the broker itself: loaded only when asked for, so the client verbs start fast.
if (process.argv[2] === 'serve') {
  const { serveCommand } = await import('../../broker/main.js');
  program.addCommand(serveCommand());
} else {
  program.command('serve').description('Run a Spool broker (127.0.0.1:9292, data in ./data by default)');
}
program.addCommand(topicsCommand(connect));
program.addCommand(produceCommand(connect));
program.addCommand(consumeCommand(connect));
program.addCommand(groupsCommand(connect));
program.addCommand(queueCommand(connect));
program.addCommand(streamsCommand(connect));
program.addCommand(checkCommand());
program.addCommand(usersCommand(connect));
program.addCommand(tokensCommand(connect));
program.addCommand(aclCommand(connect));
for (const command of program.commands) applyExitOverride(command);

function applyExitOverride(command: Command): void {
  command.exitOverride().showHelpAfterError();
  for (const sub of command.commands) applyExitOverride(sub);
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // --help and --version end here with exit code 0; usage mistakes with 2.
    process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  } else {
    reportFailure(error);
  }
} finally {
  if (process.argv[2] !== 'serve') await close();
}
