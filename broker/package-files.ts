/**
 * Where the installed package lives, found from this module's own path, so the broker finds its
 * package.json and the built console the same way whether it runs compiled (dist/broker/…) or from
 * the TypeScript sources under vitest (broker/…).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

/** The folder holding the package's package.json. */
export function packageRoot(): string {
  if (root !== null) return root;
  let folder = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(folder, 'package.json'))) {
    const parent = dirname(folder);
    if (parent === folder) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    folder = parent;
  }
  root = folder;
  return root;
}

let version: string | null = null;

/** The package's version (package.json), as /v1/stats answers it. */
export function packageVersion(): string {
  version ??= String((JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown }).version ?? 'unknown');
  return version;
}

/** The web console's built files (`npm run build` writes them; see console/build.mjs). */
export function consoleBuildDir(): string {
  return join(packageRoot(), 'dist', 'console');
}
