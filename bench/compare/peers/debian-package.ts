/**
 * The peers are real servers from Debian's packages. When one is missing the benchmark installs it
 * with apt-get (saying so, with sudo only when not root), so `npm run bench:compare` works on a
 * fresh machine of the project's kind.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian puts some daemons in /usr/sbin, which is not on every user's PATH. */
function locate(command: string): string | null {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/sbin']) if (existsSync(`${dir}/${command}`)) return `${dir}/${command}`;
  return null;
}

function aptGet(args: string[]): boolean {
  const root = process.getuid?.() === 0;
  const [command, argv] = root ? ['apt-get', args] : ['sudo', ['-n', 'apt-get', ...args]];
  const result = spawnSync(command, argv, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 300_000 });
  return result.status === 0;
}

/** The path of `command`, installing Debian package `pkg` first when it is missing; null if that failed. */
export function ensureCommand(command: string, pkg: string): string | null {
  const present = locate(command);
  if (present) return present;
  console.log(`${command} not found: installing Debian package ${pkg} (apt-get install -y ${pkg}${process.getuid?.() === 0 ? '' : ', with sudo'})`);
  if (!aptGet(['install', '-y', pkg])) {
    console.log(`apt-get install ${pkg} failed: running apt-get update and trying once more`);
    if (aptGet(['update'])) aptGet(['install', '-y', pkg]);
  }
  const installed = locate(command);
  if (!installed) console.log(`${pkg} could not be installed: its rows read n/a`);
  return installed;
}

/** The x.y.z in `command --version` ("Redis server v=7.0.15 sha=..." gives 7.0.15), else its first line. */
export function commandVersion(path: string): string {
  const result = spawnSync(path, ['--version'], { encoding: 'utf8' });
  const line = (result.stdout || result.stderr || '').split('\n')[0]!.trim();
  return /\d+\.\d+\.\d+/.exec(line)?.[0] ?? line;
}
