/**
 * The response context of a stateful proxy (§16.7): one per proxied request,
 * the server transaction's TU, owner of the branches. It forwards
 * provisionals, forwards every 2xx, collects the other finals, moves to the
 * next q-group or asks the failure hook when all branches failed, and sends
 * the best response; it cancels branches on CANCEL (§16.10), on a 2xx or 6xx,
 * and on Timer C.
 */
import { createResponse, popVia, type SipRequest, type SipResponse } from '@strata/parser';
import type { MessageSource, TransportError } from '@strata/transport';
import type { TransactionLayer } from '../layer.js';
import type { ServerTransaction } from '../transaction.js';
import { NOOP_CLIENT_USER, type ServerTransactionUser } from '../user.js';
import { isChallenge, selectBestResponse } from './best-response.js';
import { loopBranch } from './branch-id.js';
import { applyTarget, copyRequest, groupByQ } from './forward.js';
import { BRANCH_COMPLETED, BRANCH_PROCEEDING, BRANCH_TRYING, ProxyBranch } from './proxy-branch.js';
import type { StatefulProxy } from './stateful-proxy.js';
import type { FailureContext, ProxyTarget } from './types.js';

/** RFC 3326 Reason for CANCELs caused by a 2xx on another branch */
const COMPLETED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';
/** bound on failure-hook rounds per context */
const MAX_FAILURE_ROUNDS = 16;

export class ResponseContext implements ServerTransactionUser {
  readonly proxy: StatefulProxy;
  readonly layer: TransactionLayer;
  /** the request as received (after §16.4 Route processing) */
  readonly request: SipRequest;
  readonly source: MessageSource;
  readonly serverTx: ServerTransaction;
  readonly isInvite: boolean;
  readonly branches: ProxyBranch[] = [];
  /** the rest of the target set, one group per q-value */
  private groups: ProxyTarget[][] = [];
  /** a final response went upstream (a 2xx, or the best response) */
  private finalSent = false;
  /** a CANCEL arrived (§16.10) */
  private cancelled = false;
  /** a 6xx arrived: "it MUST NOT create any new branches in this context" */
  private sixxx = false;
  /** the first branch whose response may be chosen: a retarget after a 6xx moves it */
  private candidatesFrom = 0;
  /** > 0 while the router or the failure hook is still deciding */
  private busy = 0;
  /** branches are being started: completion is checked once they all are */
  private starting = false;
  private failureRounds = 0;
  private readonly loopHash: string;

  constructor(
    proxy: StatefulProxy,
    request: SipRequest,
    source: MessageSource,
    serverTx: ServerTransaction,
    loopHash: string,
  ) {
    this.proxy = proxy;
    this.layer = proxy.layer;
    this.request = request;
    this.source = source;
    this.serverTx = serverTx;
    this.isInvite = request.method === 'INVITE';
    this.loopHash = loopHash;
  }

  get done(): boolean {
    return this.finalSent;
  }

  /** The router is deciding asynchronously. */
  hold(): void {
    this.busy++;
  }

  release(): void {
    this.busy--;
  }

  // ---- decisions ---------------------------------------------------------------

  /** Answer here (router 'reply', validation, loop). */
  reply(status: number, reason?: string, headers?: readonly (readonly [string, string])[]): void {
    if (this.finalSent) return;
    this.finalSent = true;
    this.groups = [];
    this.cancelPending(null);
    const response = createResponse(this.request, status, reason, {
      headers: headers === undefined ? [] : headers.map(([n, v]) => [n, v]),
    });
    this.up(response);
  }

  /**
   * §16.5/§16.6: relay to a target set. "If the target set remains empty
   * after applying all of the above, the proxy MUST return an error
   * response, which SHOULD be the 480 (Temporarily Unavailable) response."
   */
  relay(targets: readonly ProxyTarget[]): void {
    if (this.finalSent) return;
    if (targets.length === 0 && this.branches.length === 0) {
      this.reply(480);
      return;
    }
    this.groups = groupByQ(targets);
    this.startNextGroup();
  }

  /** §16.6: "the proxy [...] MAY process the targets in parallel or sequentially" — by q-groups. */
  private startNextGroup(): void {
    const group = this.groups.shift();
    if (group === undefined) return;
    this.starting = true;
    for (const target of group) this.startBranch(target);
    this.starting = false;
    this.checkCompletion();
  }

  private startBranch(target: ProxyTarget): void {
    const request = copyRequest(this.request);
    applyTarget(request, target, this.proxy.recordRoute);
    const index = this.branches.length;
    const branch = new ProxyBranch(this, index, target, request, this.layer.timers);
    this.branches.push(branch);
    // §16.6 item 8: "the proxy MUST insert a Via header field value into the
    // copy before the existing Via header field values" with a branch that
    // carries the loop hash and is unique to this branch
    const branchId = loopBranch(this.proxy.branchPrefix, this.loopHash, this.proxy.uniqueId(index));
    try {
      branch.tx = this.layer.sendRequest(request, target.destination, branch, { branch: branchId });
    } catch (err) {
      this.proxy.log.warn({ err, target: target.uri }, 'branch could not be started');
      this.complete(branch, createResponse(request, 503));
      return;
    }
    // §16.6 item 11: "If the request is an INVITE, the proxy MUST set Timer C"
    if (this.isInvite && branch.phase !== BRANCH_COMPLETED)
      branch.startTimerC(target.timeout ?? this.proxy.timerC);
  }

  // ---- responses from branches (§16.7) -------------------------------------------

  onBranchResponse(branch: ProxyBranch, response: SipResponse): void {
    const status = response.status;
    if (status < 200) return this.branchProvisional(branch, response);
    if (status < 300) return this.branchSuccess(branch, response);
    return this.branchFailure(branch, response);
  }

  private branchProvisional(branch: ProxyBranch, response: SipResponse): void {
    if (branch.phase === BRANCH_TRYING) branch.phase = BRANCH_PROCEEDING;
    // §9.1: a CANCEL waiting for a provisional response goes now
    if (branch.cancelRequested) {
      if (!branch.cancelSent) this.sendCancel(branch);
      return;
    }
    // §16.7 item 2: "if the response is a provisional response with status
    // codes 101 to 199 inclusive (i.e., anything but 100), the proxy MUST
    // reset timer C for that client transaction."
    if (status101to199(response.status)) branch.resetTimerC();
    // item 5: "Provisional responses other than 100 (Trying) MUST be forwarded
    // immediately." (a 100 is hop-by-hop, §16.7 item 5)
    if (response.status === 100 || this.finalSent || this.cancelled) return;
    this.forward(response);
  }

  private branchSuccess(branch: ProxyBranch, response: SipResponse): void {
    if (branch.phase !== BRANCH_COMPLETED) {
      branch.phase = BRANCH_COMPLETED;
      branch.final = response;
      branch.clearTimers();
    }
    if (!this.isInvite) {
      // a non-INVITE server transaction takes one final response
      if (this.finalSent) return;
      this.finalSent = true;
      this.groups = [];
      this.forward(response);
      return;
    }
    // item 5: "Any 2xx response to an INVITE request" is forwarded
    // immediately, and every later 2xx as well (each may set up a dialog).
    const first = !this.finalSent;
    this.finalSent = true;
    this.groups = [];
    this.forward(response);
    // item 10: "If the forwarded response was a final response, the proxy
    // MUST generate a CANCEL request for all pending client transactions
    // associated with this response context."
    if (first) this.cancelPending(COMPLETED_ELSEWHERE);
  }

  private branchFailure(branch: ProxyBranch, response: SipResponse): void {
    if (branch.phase === BRANCH_COMPLETED) return; // already counted (synthesised on cancel)
    // a branch cancelled by Timer C counts as the 408 it timed out with
    const counted =
      branch.cancelRequested && branch.cancelStatus === 408
        ? createResponse(branch.request, 408)
        : response;
    this.complete(branch, counted);
  }

  /** Timeout (408), transport error (503), or a transaction that ended without a final. */
  onBranchFailure(branch: ProxyBranch, status: number): void {
    if (branch.phase === BRANCH_COMPLETED) return;
    this.complete(branch, createResponse(branch.request, status));
  }

  /** §16.8: what Timer C does. */
  onTimerC(branch: ProxyBranch): void {
    if (branch.phase === BRANCH_COMPLETED) return;
    // "If timer C should fire, the proxy MUST either reset the timer with any
    // value it chooses, or terminate the client transaction. If the client
    // transaction has received a provisional response, the proxy MUST
    // generate a CANCEL request matching that transaction. If the client
    // transaction has not received a provisional response, the proxy MUST
    // behave as if the transaction received a 408 (Request Timeout)
    // response."
    this.proxy.log.debug({ target: branch.target.uri }, 'Timer C fired');
    this.cancelBranch(branch, 408, null);
  }

  /** §9.1: no final response 64·T1 after our CANCEL: give the INVITE up. */
  onCancelGuard(branch: ProxyBranch): void {
    if (branch.phase !== BRANCH_COMPLETED)
      this.complete(branch, createResponse(branch.request, branch.cancelStatus));
    branch.tx?.terminate();
  }

  private complete(branch: ProxyBranch, response: SipResponse): void {
    branch.phase = BRANCH_COMPLETED;
    branch.final = response;
    if (!branch.cancelRequested || branch.cancelSent) branch.clearTimers();
    else branch.stopTimerC();
    // item 5: "If a 6xx response is received, it is not immediately
    // forwarded, but the stateful proxy SHOULD cancel all client pending
    // transactions as described in Section 10, and it MUST NOT create any new
    // branches in this context."
    if (response.status >= 600 && !this.sixxx) {
      this.sixxx = true;
      this.groups = [];
      this.cancelPending(null);
    }
    this.checkCompletion();
  }

  // ---- completion --------------------------------------------------------------

  private checkCompletion(): void {
    if (this.finalSent || this.busy > 0 || this.starting) return;
    for (const b of this.branches) if (b.phase !== BRANCH_COMPLETED) return;
    // after a 6xx the groups are gone; only a hook allowed to run after one may add targets
    if (!this.cancelled && (!this.sixxx || this.proxy.failureHookAfter6xx)) {
      if (this.groups.length > 0) return this.startNextGroup();
      if (this.proxy.failureHook !== null && this.runFailureHook()) return;
    }
    this.sendBest();
  }

  /** Returns true when the hook took over (added branches, or is deciding asynchronously). */
  private runFailureHook(): boolean {
    if (this.failureRounds >= MAX_FAILURE_ROUNDS) return false;
    const added: ProxyTarget[] = [];
    const responses = this.branches.map((b) => b.final!);
    const best = selectBestResponse(responses.map((r) => r.status));
    const context: FailureContext = {
      request: this.request,
      source: this.source,
      responses,
      bestStatus: best < 0 ? 408 : responses[best]!.status,
      round: this.failureRounds,
      after6xx: this.sixxx,
      addTargets: (targets) => {
        for (const t of targets) added.push(t);
      },
    };
    this.failureRounds++;
    let result: void | Promise<void>;
    try {
      result = this.proxy.failureHook!(context);
    } catch (err) {
      this.proxy.log.error({ err }, 'failure hook threw');
      return false;
    }
    if (result instanceof Promise) {
      this.busy++;
      result.then(
        () => this.afterFailureHook(added),
        (err: unknown) => {
          this.proxy.log.error({ err }, 'failure hook rejected');
          this.afterFailureHook([]);
        },
      );
      return true;
    }
    if (added.length === 0) return false;
    this.relayAdded(added);
    return true;
  }

  private afterFailureHook(added: ProxyTarget[]): void {
    this.busy--;
    if (this.finalSent) return;
    if (added.length > 0 && !this.cancelled) this.relayAdded(added);
    else this.sendBest();
  }

  /** The hook's targets. After a 6xx they retarget the call: the responses so far step aside. */
  private relayAdded(added: ProxyTarget[]): void {
    if (this.sixxx) {
      this.sixxx = false;
      this.candidatesFrom = this.branches.length;
    }
    this.relay(added);
  }

  /** §16.7 item 6–7 and 9: choose, aggregate challenges, convert 503, forward. */
  private sendBest(): void {
    this.finalSent = true;
    this.groups = [];
    const responses = this.branches.slice(this.candidatesFrom).map((b) => b.final!);
    const index = selectBestResponse(responses.map((r) => r.status));
    // "If there are no final responses in the context, the proxy MUST send a
    // 408 (Request Timeout) response to the server transaction."
    if (index < 0) return void this.up(createResponse(this.request, 408));
    const best = responses[index]!;
    if (best.status === 503) {
      // "If the only response that was received is a 503, the proxy SHOULD
      // generate a 500 response and forward that upstream."
      this.up(createResponse(this.request, 500));
      return;
    }
    if (!this.isInvite && best.status === 408) {
      // RFC 4320 §4.2: "A transaction-stateful SIP element MUST NOT send a
      // response with Status-Code of 408 to a non-INVITE request." The
      // upstream client has timed out already; let the transaction go.
      this.serverTx.terminate();
      return;
    }
    if (isChallenge(best.status)) {
      // item 7: "the proxy MUST collect any WWW-Authenticate and
      // Proxy-Authenticate header field values from all other 401 and 407
      // responses received so far in this response context and add them to
      // this response without modification before forwarding."
      for (const r of responses) {
        if (r === best || !isChallenge(r.status)) continue;
        for (const v of r.headers.getAll('www-authenticate'))
          best.headers.append('WWW-Authenticate', v);
        for (const v of r.headers.getAll('proxy-authenticate'))
          best.headers.append('Proxy-Authenticate', v);
      }
    }
    this.forward(best);
  }

  /**
   * §16.7 item 3: "The proxy removes the topmost Via header field value from
   * the response." then item 9: forward it on the server transaction. A 2xx
   * the server transaction no longer takes (a CANCEL race lost upstream) is
   * still sent, statelessly to the same place.
   */
  private forward(response: SipResponse): void {
    popVia(response);
    if (this.up(response)) return;
    if (this.isInvite && response.status >= 200 && response.status < 300)
      void this.layer.sendStateless(response, this.serverTx.responseDestination);
  }

  /**
   * Every response this context sends upstream goes through here, so the
   * layer above (dialog tracking, CDRs) sees each one exactly as sent.
   */
  private up(response: SipResponse): boolean {
    const observe = this.proxy.upstreamObserver;
    if (observe !== null) observe(response, this.request);
    return this.serverTx.respond(response);
  }

  // ---- CANCEL (§16.10) ---------------------------------------------------------

  /**
   * §16.10: "If a matching response context is found, the element MUST
   * immediately return a 200 (OK) response to the CANCEL request. [...] the
   * element MUST cancel all pending client transactions within the
   * response context [...] In addition, the element MUST NOT create any new
   * branches in this context."
   */
  cancel(reason: string | null): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.groups = [];
    if (this.finalSent) return; // a final (2xx) went already: nothing to cancel
    this.cancelPending(reason);
    this.checkCompletion();
  }

  /** Cancel every branch without a final response. */
  private cancelPending(reason: string | null): void {
    for (const b of this.branches)
      if (b.phase !== BRANCH_COMPLETED) this.cancelBranch(b, 487, reason);
  }

  private cancelBranch(branch: ProxyBranch, status: number, reason: string | null): void {
    if (!this.isInvite || branch.cancelRequested) return;
    branch.cancelRequested = true;
    branch.cancelStatus = status;
    branch.cancelReason = reason;
    branch.stopTimerC();
    const tx = branch.tx;
    if (tx !== null && tx.kind === 'invite-client' && tx.state === 'proceeding') {
      this.sendCancel(branch);
      return;
    }
    // §9.1: "If no provisional response has been received, the CANCEL request
    // MUST NOT be sent; rather, the client MUST wait for the arrival of a
    // provisional response before sending the request." Meanwhile the branch
    // counts as answered with `status`, so the caller is not kept waiting.
    this.complete(branch, createResponse(branch.request, status));
  }

  private sendCancel(branch: ProxyBranch): void {
    const tx = branch.tx;
    if (tx === null || tx.kind !== 'invite-client' || tx.state !== 'proceeding') return;
    branch.cancelSent = true;
    try {
      this.layer.sendCancel(tx, NOOP_CLIENT_USER, branch.cancelReason);
    } catch (err) {
      this.proxy.log.warn({ err }, 'CANCEL could not be sent');
    }
    branch.startCancelGuard(this.layer.config.timeout64);
  }

  // ---- ServerTransactionUser --------------------------------------------------------

  onTimeout(_tx: ServerTransaction): void {
    this.proxy.log.debug(
      { callId: this.request.callId },
      'no ACK for the final response (Timer H)',
    );
  }

  onTransportError(error: TransportError, _tx: ServerTransaction): void {
    this.proxy.log.warn({ err: error, callId: this.request.callId }, 'upstream unreachable');
    if (!this.finalSent) {
      this.finalSent = true;
      this.cancelPending(null);
    }
  }

  onTerminated(_tx: ServerTransaction): void {
    if (!this.finalSent) {
      this.finalSent = true;
      this.cancelPending(null);
    }
  }
}

function status101to199(status: number): boolean {
  return status > 100 && status < 200;
}
