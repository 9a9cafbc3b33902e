/** The CLI's one connection, made on first use from `--url` (or SPOOL_URL) and closed on exit. */
import { Spool, type SpoolOptions } from '../spool.js';

export type Connect = () => Spool;

export function connector(options: () => SpoolOptions): { connect: Connect; close(): Promise<void> } {
  let spool: Spool | null = null;
  return {
    connect: () => (spool ??= new Spool(options())),
    close: async () => {
      await spool?.close();
    },
  };
}
