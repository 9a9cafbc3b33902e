/**
 * Acks, nacks and rejects of one queue, gathered for a moment (one turn of the event loop) and
 * sent together: a worker acking messages one by one still costs one request per round, not one
 * per message. Each receipt's own result resolves or rejects its caller.
 */
import { SpoolClientError } from '../errors.js';
import type { HttpClient } from '../http.js';

export type SettlementKind = 'ack' | 'nack' | 'reject';

interface Pending {
  receipt: string;
  resolve(): void;
  reject(error: unknown): void;
}

export interface ReceiptResult {
  receipt: string;
  ok: boolean;
  error?: { code: string; message: string };
}

export class Settlements {
  /** Pending settlements by kind and options (a nack's delay, a reject's reason). */
  private readonly groups = new Map<string, { kind: SettlementKind; options: { delayMs?: number; reason?: string }; pending: Pending[] }>();
  private scheduled = false;

  constructor(private readonly http: HttpClient, private readonly path: string) {}

  settle(kind: SettlementKind, receipt: string, options: { delayMs?: number; reason?: string } = {}): Promise<void> {
    const id = `${kind}\u0000${options.delayMs ?? ''}\u0000${options.reason ?? ''}`;
    let group = this.groups.get(id);
    if (!group) this.groups.set(id, (group = { kind, options, pending: [] }));
    const entry = group;
    const done = new Promise<void>((resolve, reject) => entry.pending.push({ receipt, resolve, reject }));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
    return done;
  }

  /** Sends one settlement request now, answering each receipt's result. */
  async now(kind: SettlementKind, receipts: string[], options: { delayMs?: number; reason?: string }): Promise<ReceiptResult[]> {
    const answer = await this.http.json<{ results: ReceiptResult[] }>({ method: 'POST', path: `${this.path}/${kind}`, body: { receipts, ...options } }, `${kind} messages`);
    return answer.results;
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const groups = [...this.groups.values()];
    this.groups.clear();
    await Promise.all(groups.map(async ({ kind, options, pending }) => {
      try {
        // Only the refused receipts come back (results=failures): a turn's hundred acks cost no hundred results on either side.
        const answer = await this.http.json<{ results: Array<ReceiptResult & { index: number }> }>(
          { method: 'POST', path: `${this.path}/${kind}`, query: { results: 'failures' }, body: { receipts: pending.map((entry) => entry.receipt), ...options } },
          `${kind} messages`,
        );
        for (const result of answer.results) {
          // By the receipt's position; by the receipt itself should an answer come without it.
          const entry = (Number.isInteger(result.index) ? pending[result.index] : undefined) ?? pending.find((candidate) => candidate.receipt === result.receipt);
          // A refusal the client cannot place: every ack of the request is unsure, so none is reported done.
          if (!entry) throw new SpoolClientError('SPOOL_ERR_CORRUPT_ANSWER', `${kind} answer names receipt ${String(result.receipt).slice(0, 100)} at index ${result.index}, not one of this request's`, false);
          entry.reject(new SpoolClientError(result.error?.code ?? 'SPOOL_ERR_RECEIPT_UNKNOWN', `${kind} ${result.receipt}: ${result.error?.message ?? 'refused'}`, false, 0, { receipt: result.receipt }));
        }
        // A rejected promise stays rejected: resolving every entry afterwards settles only the accepted ones.
        for (const entry of pending) entry.resolve();
      } catch (error) {
        for (const entry of pending) entry.reject(error);
      }
    }));
  }
}
