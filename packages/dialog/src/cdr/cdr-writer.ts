import type { Logger } from 'pino';
import type { DialogState } from '../state/dialog-state.js';
import type { DialogStore } from '../store/dialog-store.js';
import { silentLogger } from '../store/silent-logger.js';
import { buildCdr } from './build-cdr.js';
import type { CdrRecord } from './cdr-record.js';
import type { CdrSink } from './cdr-sink.js';

export interface CdrWriterOptions {
  /** Provides the atomic once-flag (Redis `SET NX PX`, or in memory). */
  readonly store: Pick<DialogStore, 'claimOnce'>;
  readonly sinks: readonly CdrSink[];
  readonly coreNode: string;
  readonly now?: () => number;
  /** How long the once-flag is kept; must outlast any failover retry. Default 24 h. */
  readonly claimTtlMs?: number;
  readonly logger?: Logger;
}

export type CdrWriteResult =
  | { readonly written: false; readonly reason: 'already-written' }
  | { readonly written: true; readonly record: CdrRecord; readonly failedSinks: readonly string[] };

/**
 * The call a CDR belongs to: Call-ID and From tag are shared by every fork of one INVITE,
 * so forked early dialogs of the same call cannot produce two records.
 */
export function cdrClaimKey(s: DialogState): string {
  return `cdr:${s.callId}:${s.fromTag}`;
}

/**
 * "Each call's CDR is written exactly once, also across failover" (issue #5): the writer
 * first claims the call with an atomic once-flag in the shared store, and only the node
 * that wins the claim writes to the sinks.
 */
export class CdrWriter {
  private readonly opts: CdrWriterOptions;
  private readonly now: () => number;
  private readonly log: Logger;

  constructor(options: CdrWriterOptions) {
    this.opts = options;
    this.now = options.now ?? Date.now;
    this.log = (options.logger ?? silentLogger()).child({ component: 'cdr-writer' });
  }

  async write(state: DialogState): Promise<CdrWriteResult> {
    const claimed = await this.opts.store.claimOnce(
      cdrClaimKey(state),
      this.opts.claimTtlMs ?? 86_400_000,
    );
    if (!claimed) return { written: false, reason: 'already-written' };
    const record = buildCdr(state, { coreNode: this.opts.coreNode, now: this.now() });
    const results = await Promise.allSettled(this.opts.sinks.map((s) => s.write(record)));
    const failedSinks: string[] = [];
    results.forEach((r, i) => {
      if (r.status === 'rejected') {
        const sink = this.opts.sinks[i]?.name ?? String(i);
        failedSinks.push(sink);
        // The claim is taken, so a failed sink loses this record there: log it in full.
        this.log.error({ err: r.reason as unknown, sink, cdr: record }, 'CDR sink write failed');
      }
    });
    return { written: true, record, failedSinks };
  }

  async close(): Promise<void> {
    await Promise.all(this.opts.sinks.map((s) => s.close()));
  }
}
