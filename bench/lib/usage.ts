/**
 * "--help everywhere": every bench entry script (the `node dist/bench/*.js` of package.json's
 * scripts) calls this first, before it parses a flag or starts anything, with its USAGE text (the
 * one place its flags and defaults are written). Without it, a script that parses flags by hand
 * ignores --help and starts a run of minutes, and one on parseArgs throws on it.
 */
const HELP_LINE = '  -h, --help   print this and exit';

/** Prints `usage` and exits 0 when the command line asks for help (--help or -h); returns otherwise. */
export function exitOnHelp(usage: string): void {
  const args = process.argv.slice(2);
  if (!args.includes('--help') && !args.includes('-h')) return;
  process.stdout.write(`${usage.trim()}\n${HELP_LINE}\n`);
  process.exit(0);
}
