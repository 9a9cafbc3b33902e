/** A LogManager over a fresh temporary directory per test, closed and removed afterwards. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { LogManager } from '../../../storage/log/log-manager.js';

export interface TempLogs {
  root: string;
  manager: LogManager;
  /** Closes the current manager and opens a new one on the same directory. */
  reopen(): Promise<LogManager>;
}

export function useTempLogs(prefix: string): TempLogs {
  const state = { root: '', manager: null as unknown as LogManager } as TempLogs;
  state.reopen = async () => {
    await state.manager.close();
    state.manager = await LogManager.open({ root: state.root });
    return state.manager;
  };
  beforeEach(async () => {
    state.root = await mkdtemp(join(tmpdir(), `spool-${prefix}-`));
    state.manager = await LogManager.open({ root: state.root });
  });
  afterEach(async () => {
    await state.manager.close().catch(() => {});
    await rm(state.root, { recursive: true, force: true });
  });
  return state;
}
