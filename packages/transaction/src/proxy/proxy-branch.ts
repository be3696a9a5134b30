/**
 * One branch of a response context (§16.6): the copy of the request sent to
 * one target, its client transaction, its Timer C, and its final response.
 * It is the client transaction's TU and reports to its context.
 */
import type { SipRequest, SipResponse } from '@strata/parser';
import type { TransportError } from '@strata/transport';
import type { TimerHandle, TimerHost } from '../timers.js';
import type { ClientTransaction } from '../transaction.js';
import type { ClientTransactionUser } from '../user.js';
import type { ResponseContext } from './response-context.js';
import type { ProxyTarget } from './types.js';

export const BRANCH_TRYING = 0;
export const BRANCH_PROCEEDING = 1;
export const BRANCH_COMPLETED = 2;
export type BranchPhase = 0 | 1 | 2;

export class ProxyBranch implements ClientTransactionUser {
  readonly context: ResponseContext;
  readonly index: number;
  readonly target: ProxyTarget;
  readonly request: SipRequest;
  tx: ClientTransaction | null = null;
  phase: BranchPhase = BRANCH_TRYING;
  /** the final response that counts for selection (received or synthesised) */
  final: SipResponse | null = null;
  /** a CANCEL is wanted (sent as soon as a provisional response allows, §9.1) */
  cancelRequested = false;
  cancelSent = false;
  /** the status the branch counts as when cancelled: 487 (CANCEL) or 408 (Timer C) */
  cancelStatus = 487;
  cancelReason: string | null = null;
  private readonly timers: TimerHost;
  private timerC: TimerHandle | null = null;
  private timerCMs = 0;
  private guard: TimerHandle | null = null;
  private readonly fireC: () => void;
  private readonly fireGuard: () => void;

  constructor(
    context: ResponseContext,
    index: number,
    target: ProxyTarget,
    request: SipRequest,
    timers: TimerHost,
  ) {
    this.context = context;
    this.index = index;
    this.target = target;
    this.request = request;
    this.timers = timers;
    this.fireC = () => {
      this.timerC = null;
      this.context.onTimerC(this);
    };
    this.fireGuard = () => {
      this.guard = null;
      this.context.onCancelGuard(this);
    };
  }

  /** §16.6 item 11: "If the request is an INVITE, the proxy MUST set Timer C" */
  startTimerC(ms: number): void {
    this.timerCMs = ms;
    this.timerC = this.timers.setTimeout(this.fireC, ms);
  }

  /** §16.7 item 2: a 101–199 response resets Timer C. */
  resetTimerC(): void {
    if (this.timerC === null) return;
    this.timers.clearTimeout(this.timerC);
    this.timerC = this.timers.setTimeout(this.fireC, this.timerCMs);
  }

  stopTimerC(): void {
    if (this.timerC !== null) {
      this.timers.clearTimeout(this.timerC);
      this.timerC = null;
    }
  }

  /** §9.1: no final response 64·T1 after the CANCEL → the INVITE transaction is given up. */
  startCancelGuard(ms: number): void {
    if (this.guard === null) this.guard = this.timers.setTimeout(this.fireGuard, ms);
  }

  clearTimers(): void {
    this.stopTimerC();
    if (this.guard !== null) {
      this.timers.clearTimeout(this.guard);
      this.guard = null;
    }
  }

  // ---- ClientTransactionUser ------------------------------------------------

  onResponse(response: SipResponse, _tx: ClientTransaction): void {
    this.context.onBranchResponse(this, response);
  }

  /** §16.7: "a 408 [...] generated [...] for a client transaction that timed out" */
  onTimeout(_tx: ClientTransaction): void {
    this.context.onBranchFailure(this, 408);
  }

  /** §16.9: "the proxy MUST behave as if the forwarded request received a 503" */
  onTransportError(_error: TransportError, _tx: ClientTransaction): void {
    this.context.onBranchFailure(this, 503);
  }

  onTerminated(_tx: ClientTransaction): void {
    this.clearTimers();
    if (this.phase !== BRANCH_COMPLETED)
      this.context.onBranchFailure(this, this.cancelRequested ? this.cancelStatus : 408);
    this.tx = null;
  }
}
