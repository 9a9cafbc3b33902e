/**
 * Reads a password for `spool users add`: typed at a prompt with the echo off when stdin is a
 * terminal, else the first line of stdin (`printf '%s\n' "$PW" | spool users add alice`). Never
 * from argv, where any user of the machine can read it in `ps`.
 */
import { InvalidArgumentError } from 'commander';

export async function readPassword(prompt: string, input: NodeJS.ReadStream = process.stdin): Promise<string> {
  const password = input.isTTY ? await promptHidden(prompt, input) : firstLine(await readAll(input));
  if (password.length === 0) throw new InvalidArgumentError('the password is empty: type it at the prompt, or pipe it to stdin');
  return password;
}

function firstLine(text: string): string {
  const end = text.search(/\r?\n/);
  return end === -1 ? text : text.slice(0, end);
}

async function readAll(input: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function promptHidden(prompt: string, input: NodeJS.ReadStream): Promise<string> {
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (error?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003') return done(new InvalidArgumentError('cancelled'));
        typed = char === '\u007f' || char === '\b' ? typed.slice(0, -1) : typed + char;
      }
    };
    input.on('data', onData);
  });
}
