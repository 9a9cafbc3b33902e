/**
 * The browser globals that the console tests' page.evaluate/addInitScript callbacks touch: they run
 * in Chromium, but are type-checked (tsconfig.tests.json) with Node's lib, where DOM's lib would
 * replace undici's fetch types for every other test.
 */
interface BrowserStorage {
  setItem(key: string, value: string): void;
  [key: string]: unknown;
}
declare const document: { cookie: string; documentElement: { scrollWidth: number; dataset: Record<string, string | undefined> } };
declare const location: { hash: string };
declare const localStorage: BrowserStorage;
declare const sessionStorage: BrowserStorage;
declare function scrollTo(x: number, y: number): void;
