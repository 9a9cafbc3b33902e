/**
 * Progress bars on stderr (cli-progress), shared by the verbs that move a known amount: produce from
 * a file (bytes), consume of a known range (records), check (bytes). Shown when stderr is a
 * terminal; `--progress` forces them (a log file, a test through a pipe), `--no-progress` hides them.
 */
import cliProgress from 'cli-progress';

/** `true`: --progress, `false`: --no-progress, `undefined`: neither (a terminal decides). */
export type ProgressFlag = boolean | undefined;

export interface Progress {
  /** Throttled: called per record or line, drawn at most every REDRAW_MS. */
  update(value: number, payload?: Record<string, unknown>): void;
  /** Draws the final figures and ends the bar. */
  finish(value: number, payload?: Record<string, unknown>): void;
}

/** Redraws at most every this many ms: a redraw per record would cost more than the record. */
const REDRAW_MS = 100;

export function progressBar(flag: ProgressFlag, format: string, total: number, payload: Record<string, unknown>): Progress | null {
  const terminal = process.stderr.isTTY === true;
  if (flag === false || (flag === undefined && !terminal)) return null;
  const bar = new cliProgress.SingleBar(
    { format, hideCursor: terminal, stream: process.stderr, noTTYOutput: !terminal, notTTYSchedule: 1000, fps: 1000 / REDRAW_MS },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, payload);
  let lastDrawMs = 0;
  return {
    update(value, next) {
      const now = performance.now();
      if (now - lastDrawMs < REDRAW_MS) return;
      lastDrawMs = now;
      bar.update(value, next);
    },
    finish(value, last) {
      bar.update(value, last);
      bar.stop();
    },
  };
}
