/**
 * DialogTracker: the dialog-stateful half of the core (issue #5, Kamailio's `dialog`).
 * The core feeds it every message it relays for dialog-stateful routes — `onRequest` for
 * requests (the initial INVITE with the route's `CallOptions`), `onResponse` for responses
 * — and it keeps DialogState in the DialogStore, runs the dialogs' timers on the lease
 * owner, originates BYE / OPTIONS / re-INVITE / REFER through the `DialogRequestSender`
 * port, writes the CDR once and releases call profiles on every way a call can end.
 *
 * Transitions are pure functions (transitions.ts, in-dialog-*.ts, due-action.ts); this
 * class does the I/O and serialises the work of one Call-ID (KeyedQueue).
 */
import {
  parseNameAddr,
  readReplaces,
  serializeUri,
  type SipRequest,
  type SipResponse,
} from '@strata/parser';
import type { Logger } from 'pino';
import type { CdrWriter } from '../cdr/cdr-writer.js';
import {
  buildInDialogRequest,
  type InDialogRequestOptions,
} from '../originate/build-in-dialog-request.js';
import { buildHoldReinvite } from '../originate/hold-request.js';
import { buildRefer } from '../originate/refer-request.js';
import {
  isKeepaliveFailure,
  type DialogRequestSender,
  type OutboundTarget,
  type SendOutcome,
} from '../ports/request-sender.js';
import { systemTimerClock, type TimerClock, type TimerHandle } from '../ports/timer-clock.js';
import type { CallProfiles } from '../profiles/call-profiles.js';
import { contactUri } from '../sip/message-info.js';
import type { OwnRoutePredicate } from '../sip/route-set.js';
import { otherSide, type DialogSideName } from '../sip/side.js';
import { createDialogState } from '../state/create-dialog-state.js';
import { callIdOfDialogId, dialogId } from '../state/dialog-id.js';
import type { DialogState, HangupParty, SourceAddress } from '../state/dialog-state.js';
import { nextDueAt } from '../state/timers.js';
import type { DialogStore } from '../store/dialog-store.js';
import { silentLogger } from '../store/silent-logger.js';
import { dueAction } from '../timers/due-action.js';
import type { DialogEvent, DialogEventListener } from './events.js';
import { applyInDialogRequest } from './in-dialog-request.js';
import { applyInDialogResponse, type PendingRequest } from './in-dialog-response.js';
import { KeyedQueue } from './keyed-queue.js';
import { MetricsCounters, type DialogMetrics } from './metrics.js';
import {
  resolveSettings,
  type CallOptions,
  type DialogTrackerOptions,
  type ResolvedTrackerSettings,
} from './tracker-options.js';
import {
  confirmDialog,
  earlyDialogFor,
  terminateDialog,
  terminateDialogBy,
} from './transitions.js';
import type { RequestVerdict } from './verdicts.js';

export interface RequestContext {
  /** Transport source of the request (kept per side for NAT). */
  readonly source?: SourceAddress | null;
  /** The route's per-call settings; only read for an initial INVITE. */
  readonly call?: CallOptions;
}

/** Work to do after the call's queue is released (sending takes a transaction's time). */
type After = (() => Promise<void>) | null;

const NEVER_OWN: OwnRoutePredicate = () => false;

/** Profile membership is per call (Call-ID + From tag), shared by all forks of one INVITE. */
function callKey(s: Pick<DialogState, 'callId' | 'fromTag'>): string {
  return `${s.callId}:${s.fromTag}`;
}

function pendingKey(
  callId: string,
  fromTag: string,
  toTag: string,
  seq: number,
  method: string,
): string {
  return `${callId}\n${fromTag}\n${toTag}\n${seq}\n${method}`;
}

function relay(dialogId: string | null, from: DialogSideName | null): RequestVerdict {
  return { action: 'relay', dialogId, from };
}

export class DialogTracker {
  private readonly node: string;
  private readonly store: DialogStore;
  private readonly sender: DialogRequestSender;
  private readonly cdr: CdrWriter | null;
  private readonly profiles: CallProfiles | null;
  private readonly clock: TimerClock;
  private readonly log: Logger;
  private readonly isOwnRoute: OwnRoutePredicate;
  private readonly settings: ResolvedTrackerSettings;
  private readonly queue = new KeyedQueue();
  private readonly timers = new Map<string, TimerHandle>();
  private readonly pending = new Map<string, PendingRequest>();
  private readonly probing = new Set<string>();
  private readonly listeners = new Set<DialogEventListener>();
  private readonly counters = new MetricsCounters();
  private closed = false;

  constructor(options: DialogTrackerOptions) {
    this.node = options.node;
    this.store = options.store;
    this.sender = options.sender;
    this.cdr = options.cdr ?? null;
    this.profiles = options.profiles ?? null;
    this.clock = options.clock ?? systemTimerClock;
    this.log = (options.logger ?? silentLogger()).child({
      component: 'dialog',
      node: options.node,
    });
    this.isOwnRoute = options.isOwnRoute ?? NEVER_OWN;
    this.settings = resolveSettings(options);
  }

  // ---- messages ---------------------------------------------------------------

  /**
   * A request the proxy is about to relay. Returns whether to relay it or answer it
   * (500 out-of-order CSeq, 486/503 over a profile limit). Requests without a To tag other
   * than INVITE/CANCEL are outside any dialog and pass through.
   */
  async onRequest(req: SipRequest, ctx: RequestContext = {}): Promise<RequestVerdict> {
    const fromTag = req.fromTag;
    if (fromTag === null || !req.hasCSeq) return relay(null, null);
    const toTag = req.toTag;
    const source = ctx.source ?? null;
    if (toTag === null) {
      if (req.method === 'INVITE')
        return this.queue.run(req.callId, () => this.initialInvite(req, fromTag, ctx));
      if (req.method === 'CANCEL')
        return this.queue.run(req.callId, () => this.cancel(req.callId, fromTag));
      return relay(null, null);
    }
    const work = this.queue.run(req.callId, () =>
      this.inDialogRequest(req, fromTag, toTag, source),
    );
    const [verdict, after] = await work;
    if (after !== null) await after();
    return verdict;
  }

  /** A response the proxy relays (to an initial INVITE, or to an in-dialog request). */
  async onResponse(res: SipResponse, source: SourceAddress | null = null): Promise<void> {
    const fromTag = res.fromTag;
    if (fromTag === null || !res.hasCSeq) return;
    const { seq, method } = res.cseq;
    const toTag = res.toTag;
    if (toTag !== null) {
      const key = pendingKey(res.callId, fromTag, toTag, seq, method);
      const p = this.pending.get(key);
      if (p !== undefined) {
        // provisional responses change nothing a proxy tracks; the final one settles it
        if (res.status >= 200) {
          this.pending.delete(key);
          await this.queue.run(res.callId, () => this.inDialogResponse(res, p));
        }
        return;
      }
    }
    if (method === 'INVITE')
      await this.queue.run(res.callId, () => this.inviteResponse(res, fromTag, toTag, source));
  }

  // ---- control ----------------------------------------------------------------

  /**
   * Ends a dialog from the proxy (ARCHITECTURE §5, §6): BYE to both sides (RFC 3261 §15),
   * the CDR written once, the store cleaned, profiles and lease released. An early dialog
   * cannot be BYE'd by a proxy relaying its INVITE: it is ended here and a `terminated`
   * event with `wasEarly` asks the core to CANCEL its branches. False if unknown.
   */
  async endDialog(
    id: string,
    party: HangupParty = 'proxy',
    reason: string | null = null,
  ): Promise<boolean> {
    const after = await this.queue.run(callIdOfDialogId(id), async (): Promise<After | false> => {
      const s = await this.store.get(id);
      if (s === null || s.state === 'terminated') return false;
      return this.endLocked(s, party, reason);
    });
    if (after === false) return false;
    if (after !== null) await after();
    return true;
  }

  /**
   * Takes a dialog over (another core died; the ring sent its calls here): acquires the
   * lease, records this node as owner and re-arms the timers from the stored due times
   * (overdue ones fire at once). False if the dialog is gone or another node holds the lease.
   */
  async adopt(id: string): Promise<boolean> {
    return this.queue.run(callIdOfDialogId(id), async () => {
      if (!(await this.store.acquireLease(id, this.node, this.settings.leaseTtlMs))) return false;
      const s = await this.store.get(id);
      if (s === null || s.state === 'terminated') {
        await this.store.releaseLease(id, this.node);
        return false;
      }
      const ok = await this.commit({ ...s, ownerNode: this.node, version: s.version + 1 });
      if (ok) this.counters.adopted++;
      return ok;
    });
  }

  /** Adopts every dialog a (dead) node owned; returns how many were taken. */
  async adoptNode(node: string): Promise<number> {
    const owned = await this.store.list({ ownerNode: node });
    let n = 0;
    for (const s of owned) if (await this.adopt(s.id)) n++;
    return n;
  }

  /**
   * Puts `side` on hold (or resumes it) with a re-INVITE from the proxy, in its peer's
   * name, offering `sdp` as sendonly (RFC 3264 §8.4), and ACKs the 2xx (RFC 3261 §13.2.2.4).
   * Null if the dialog is not confirmed here.
   */
  async hold(
    id: string,
    side: DialogSideName,
    sdp: string,
    hold = true,
  ): Promise<SendOutcome | null> {
    const built = await this.queue.run(callIdOfDialogId(id), async () => {
      const s = await this.store.get(id);
      if (s === null || s.state !== 'confirmed') return null;
      const b = buildHoldReinvite(s, side, sdp, hold, { isOwnRoute: this.isOwnRoute });
      return (await this.commit(b.state)) ? b : null;
    });
    if (built === null) return null;
    const target = this.target(built.state, side);
    const outcome = await this.send(built.request, target);
    if ('status' in outcome && outcome.status >= 200 && outcome.status < 300) {
      const ack = buildInDialogRequest(built.state, side, 'ACK', {
        cseq: 'same',
        isOwnRoute: this.isOwnRoute,
      });
      await this.sender.sendAck(ack.request, target);
      const peer = otherSide(side);
      await this.mutate(id, (s) => ({
        ...s,
        [peer]: { ...s[peer], onHold: hold },
        version: s.version + 1,
      }));
    }
    return outcome;
  }

  /** Sends a REFER to `side` (blind transfer to `referTo`, RFC 3515). Null if not confirmed. */
  async refer(
    id: string,
    side: DialogSideName,
    referTo: string,
    referredBy?: string,
  ): Promise<SendOutcome | null> {
    const built = await this.queue.run(callIdOfDialogId(id), async () => {
      const s = await this.store.get(id);
      if (s === null || s.state !== 'confirmed') return null;
      const b = buildRefer(s, side, referTo, {
        isOwnRoute: this.isOwnRoute,
        ...(referredBy === undefined ? {} : { referredBy }),
      });
      const next = { ...b.state, transfer: { ...b.state.transfer, referTo, referStatus: null } };
      return (await this.commit({ ...next, version: s.version + 1 })) ? b : null;
    });
    if (built === null) return null;
    const outcome = await this.send(built.request, this.target(built.state, side));
    if ('status' in outcome && outcome.status >= 300) {
      await this.mutate(id, (s) => ({
        ...s,
        transfer: { ...s.transfer, referStatus: outcome.status },
        version: s.version + 1,
      }));
    }
    return outcome;
  }

  /**
   * Sends another in-dialog request (not INVITE/ACK/BYE/CANCEL/REFER: they have their own
   * methods) from the proxy to `side`, in its peer's name, e.g. an INFO carrying DTMF to a
   * media server (issue #14). CSeq = the peer's last + 1 (RFC 3261 §12.2.1.1). Null if the
   * dialog is not confirmed here.
   */
  async request(
    id: string,
    side: DialogSideName,
    method: string,
    options: Pick<InDialogRequestOptions, 'body' | 'contentType' | 'headers'> = {},
  ): Promise<SendOutcome | null> {
    if (['INVITE', 'ACK', 'BYE', 'CANCEL', 'REFER'].includes(method))
      throw new RangeError(`use the tracker's own method for ${method}`);
    const built = await this.queue.run(callIdOfDialogId(id), async () => {
      const s = await this.store.get(id);
      if (s === null || s.state !== 'confirmed') return null;
      const b = buildInDialogRequest(s, side, method, { ...options, isOwnRoute: this.isOwnRoute });
      return (await this.commit(b.state)) ? b : null;
    });
    if (built === null) return null;
    return this.send(built.request, this.target(built.state, side));
  }

  /**
   * Changes a live dialog's max duration at runtime (issue #14 policy): `ms` from answer
   * (from creation while early, as `CallOptions.maxDurationMs`), null = no limit. A limit
   * already passed fires at once (hangup party `max-duration`). Timers are re-armed only on
   * the lease owner; another owner picks the new due time up on its next timer. Returns
   * the updated state, or null if the dialog is gone.
   */
  async setMaxDuration(id: string, ms: number | null): Promise<DialogState | null> {
    return this.queue.run(callIdOfDialogId(id), async () => {
      const s = await this.store.get(id);
      if (s === null || s.state === 'terminated') return null;
      const base = s.answeredAt ?? s.createdAt;
      const next: DialogState = {
        ...s,
        timers: { ...s.timers, maxDurationAt: ms === null ? null : base + ms },
        version: s.version + 1,
      };
      const r = await this.store.put(next);
      if (!r.ok) return null;
      if (this.counters.phases.has(id)) this.track(next);
      return next;
    });
  }

  onEvent(listener: DialogEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  metrics(): DialogMetrics {
    return this.counters.snapshot();
  }

  /** Resolves when no work is queued (tests, graceful shutdown). */
  settled(): Promise<void> {
    return this.queue.idle();
  }

  /**
   * Stops this node's timers. `releaseLeases` hands the dialogs over at once (graceful
   * shutdown); without it they stay in the store until their leases lapse and another
   * node adopts them — what a crash looks like.
   */
  async close(options: { readonly releaseLeases?: boolean } = {}): Promise<void> {
    this.closed = true;
    for (const h of this.timers.values()) this.clock.clearTimer(h);
    this.timers.clear();
    await this.queue.idle();
    if (options.releaseLeases === true)
      for (const id of this.counters.phases.keys()) await this.store.releaseLease(id, this.node);
    this.counters.phases.clear();
    this.pending.clear();
  }

  // ---- initial INVITE -----------------------------------------------------------

  private async initialInvite(
    req: SipRequest,
    fromTag: string,
    ctx: RequestContext,
  ): Promise<RequestVerdict> {
    const existing = await this.callDialogs(req.callId, fromTag);
    if (existing[0] !== undefined) return relay(existing[0].id, 'caller');

    const key = `${req.callId}:${fromTag}`;
    const acquired = await this.acquireProfiles(key, ctx.call);
    if (acquired === null) {
      this.counters.profileRejections++;
      return {
        action: 'reject',
        status: this.settings.profileLimitStatus,
        reason: 'profile-limit',
        dialogId: null,
      };
    }

    const now = this.clock.now();
    const earlyMs = ctx.call?.earlyTimeoutMs ?? this.settings.earlyTimeoutMs;
    const maxMs = ctx.call?.maxDurationMs ?? null;
    let s = createDialogState({
      callId: req.callId,
      fromTag,
      toTag: null,
      callerUri: serializeUri(req.from.uri),
      calleeUri: serializeUri(req.to.uri),
      callerContact: contactUri(req),
      callerCseq: req.cseq.seq,
      callerSource: ctx.source ?? null,
      ownerNode: this.node,
      now,
      earlyTimeoutAt: earlyMs > 0 ? now + earlyMs : null,
      // While early, maxDurationAt − createdAt is the allowed duration; re-based on answer.
      maxDurationAt: maxMs !== null && maxMs > 0 ? now + maxMs : null,
      profileKeys: acquired,
    });
    const replaced = await this.replacedDialog(req);
    const referredBy = referredByOf(req);
    if (replaced !== null || referredBy !== null)
      s = {
        ...s,
        transfer: { ...s.transfer, replaces: replaced?.id ?? null, referredBy },
      };
    if (!(await this.create(s))) {
      await this.releaseProfiles(s);
      return relay(null, null);
    }
    // RFC 3891 §3: the new dialog replaces the old one: link both (both CDRs carry it).
    if (replaced !== null) await this.linkReplaced(replaced.id, s.id);
    this.emit({ type: 'created', state: s });
    return relay(s.id, 'caller');
  }

  /** RFC 3891 §3: the dialog a Replaces header names (tags in either order), or null. */
  private async replacedDialog(req: SipRequest): Promise<DialogState | null> {
    let r: ReturnType<typeof readReplaces>;
    try {
      r = readReplaces(req.headers);
    } catch {
      return null;
    }
    if (r === null) return null;
    return (
      (await this.store.get(dialogId(r.callId, r.fromTag, r.toTag))) ??
      (await this.store.get(dialogId(r.callId, r.toTag, r.fromTag)))
    );
  }

  private async linkReplaced(oldId: string, newId: string): Promise<void> {
    await this.mutate(oldId, (s) => ({
      ...s,
      transfer: { ...s.transfer, replacedBy: newId },
      version: s.version + 1,
    }));
  }

  /** RFC 3261 §9.2: the CANCEL names the caller as the party giving up; the 487 ends the call. */
  private async cancel(callId: string, fromTag: string): Promise<RequestVerdict> {
    const dialogs = await this.callDialogs(callId, fromTag);
    for (const d of dialogs)
      if (d.state === 'early')
        await this.commit({
          ...d,
          disposition: { ...d.disposition, hangupParty: 'caller' },
          version: d.version + 1,
        });
    return relay(dialogs[0]?.id ?? null, 'caller');
  }

  // ---- responses to the initial INVITE ----------------------------------------

  private async inviteResponse(
    res: SipResponse,
    fromTag: string,
    toTag: string | null,
    source: SourceAddress | null,
  ): Promise<void> {
    // RFC 3261 §12.1: only 101-199 and 2xx responses with a To tag establish a dialog.
    if (res.status < 101) return;
    const dialogs = await this.callDialogs(res.callId, fromTag);
    if (dialogs.length === 0) return;
    if (res.status >= 300) return this.inviteFailed(res, dialogs);
    if (toTag === null) return;
    if (res.status < 200) return this.provisional(res, dialogs, toTag, source);
    return this.answered(res, dialogs, toTag, source);
  }

  /** A 1xx with a new To tag: one more early dialog (forking gives several, §12.1, §16.7). */
  private async provisional(
    res: SipResponse,
    dialogs: DialogState[],
    toTag: string,
    source: SourceAddress | null,
  ): Promise<void> {
    if (dialogs.some((d) => d.toTag === toTag || d.state === 'confirmed')) return;
    const attempt = dialogs.find((d) => d.toTag === null);
    const base = attempt ?? dialogs[0];
    if (base === undefined) return;
    const early = earlyDialogFor(base, res, toTag, source);
    if (!(await this.create(early))) return;
    // The untagged attempt becomes this first early dialog.
    if (attempt !== undefined) await this.drop(attempt);
    this.emit({ type: 'early', state: early });
  }

  /**
   * A 2xx confirms the dialog of its To tag (RFC 3261 §13.2.2.4); the other early dialogs
   * of the call end. A 2xx from a second fork after one confirmed (RFC 3261 §16.7 / RFC
   * 6026 forward it) creates no second dialog here: the caller ACKs and BYEs it and those
   * pass as unmatched requests. A 2xx retransmission of the confirmed one changes nothing.
   */
  private async answered(
    res: SipResponse,
    dialogs: DialogState[],
    toTag: string,
    source: SourceAddress | null,
  ): Promise<void> {
    const confirmed = dialogs.find((d) => d.state === 'confirmed');
    if (confirmed !== undefined) {
      if (confirmed.toTag !== toTag)
        this.log.info({ callId: res.callId, toTag }, '2xx from a second fork: not tracked');
      return;
    }
    const known = dialogs.find((d) => d.toTag === toTag);
    const base = known ?? dialogs.find((d) => d.toTag === null) ?? dialogs[0];
    if (base === undefined) return;
    const early = known ?? earlyDialogFor(base, res, toTag, source);
    const next = confirmDialog(early, res, source, {
      now: this.clock.now(),
      keepaliveIntervalMs: this.settings.keepaliveIntervalMs,
    });
    const ok = known === undefined ? await this.create(next) : await this.commit(next);
    if (!ok) return;
    for (const d of dialogs) if (d.id !== next.id) await this.drop(d);
    if (next.transfer.replaces !== null) await this.linkReplaced(next.transfer.replaces, next.id);
    this.emit({ type: 'confirmed', state: next });
  }

  /**
   * The final non-2xx the proxy forwards ends the call (every early dialog, RFC 3261
   * §13.2.2.3). A 401/407 challenge is not an outcome: the caller retries with credentials
   * in a new INVITE, so no CDR is written for it.
   */
  private async inviteFailed(res: SipResponse, dialogs: DialogState[]): Promise<void> {
    const rep =
      dialogs.find((d) => d.toTag === res.toTag) ??
      dialogs.find((d) => d.toTag === null) ??
      dialogs[0];
    if (rep === undefined || dialogs.some((d) => d.state === 'confirmed')) return;
    const final = terminateDialog(rep, 'callee', this.clock.now(), res.reason, res.status);
    const challenge = res.status === 401 || res.status === 407;
    await this.finishCall(final, dialogs, true, !challenge);
  }

  // ---- in-dialog requests and their responses ------------------------------------

  /** RFC 3261 §12.2.2 matching: Call-ID + tags, with the tags swapped for the callee. */
  private async match(
    callId: string,
    fromTag: string,
    toTag: string,
  ): Promise<{ state: DialogState; from: DialogSideName } | null> {
    const asCaller = await this.store.get(dialogId(callId, fromTag, toTag));
    if (asCaller !== null) return { state: asCaller, from: 'caller' };
    const asCallee = await this.store.get(dialogId(callId, toTag, fromTag));
    if (asCallee !== null) return { state: asCallee, from: 'callee' };
    return null;
  }

  private async inDialogRequest(
    req: SipRequest,
    fromTag: string,
    toTag: string,
    source: SourceAddress | null,
  ): Promise<[RequestVerdict, After]> {
    const found = await this.match(req.callId, fromTag, toTag);
    if (found === null) return [relay(null, null), null];
    const { state: s, from } = found;
    if (req.method === 'ACK' || req.method === 'CANCEL') return [relay(s.id, from), null];
    const outcome = applyInDialogRequest(s, req, from, source);
    if (outcome.kind === 'out-of-order') {
      this.counters.outOfOrder++;
      this.log.info(
        { dialogId: s.id, from, cseq: req.cseq.seq, last: outcome.lastCseq },
        'out-of-order in-dialog request',
      );
      return [{ action: 'reject', status: 500, reason: 'out-of-order', dialogId: s.id }, null];
    }
    if (outcome.kind === 'bye') {
      // RFC 3261 §15.1.2: the session and dialog end when the BYE is received; the proxy
      // ends its record on the BYE itself (its 200 then finds nothing to do).
      const party: HangupParty = s.transfer.replacedBy !== null ? 'transfer' : from;
      const final = terminateDialogBy(s, party, this.clock.now(), reasonOf(req));
      const all = s.state === 'early' ? await this.callDialogs(s.callId, s.fromTag) : [s];
      await this.finishCall(final, all, s.state === 'early', true);
      return [relay(s.id, from), null];
    }
    if (!(await this.commit(outcome.next))) return [relay(s.id, from), null];
    if (outcome.awaitResponse) {
      this.pending.set(pendingKey(req.callId, fromTag, toTag, req.cseq.seq, req.method), {
        dialogId: s.id,
        callId: s.callId,
        from,
        method: req.method,
        hadSdp: outcome.hadSdp,
      });
    }
    for (const e of outcome.events) this.emit(e);
    return [relay(s.id, from), null];
  }

  private async inDialogResponse(res: SipResponse, p: PendingRequest): Promise<void> {
    const s = await this.store.get(p.dialogId);
    if (s === null || s.state === 'terminated') return;
    const outcome = applyInDialogResponse(s, res, p, this.clock.now());
    if (outcome.next === null) return;
    if (await this.commit(outcome.next)) for (const e of outcome.events) this.emit(e);
  }

  // ---- timers ---------------------------------------------------------------------

  /**
   * One timer per dialog at its earliest due time (`nextDueAt`), or earlier to renew the
   * lease (a third of its TTL), so only the lease owner ever acts on a dialog.
   */
  private arm(s: DialogState): void {
    this.disarm(s.id);
    if (this.closed || s.state === 'terminated') return;
    const now = this.clock.now();
    const renewAt = now + Math.max(1, Math.floor(this.settings.leaseTtlMs / 3));
    const due = nextDueAt(s);
    const at = due === null ? renewAt : Math.min(due, renewAt);
    const id = s.id;
    const callId = s.callId;
    this.timers.set(
      id,
      this.clock.setTimer(() => this.fire(id, callId), Math.max(0, at - now)),
    );
  }

  private disarm(id: string): void {
    const h = this.timers.get(id);
    if (h !== undefined) {
      this.clock.clearTimer(h);
      this.timers.delete(id);
    }
  }

  private async fire(id: string, callId: string): Promise<void> {
    this.timers.delete(id);
    try {
      const after = await this.queue.run(callId, () => this.onTimer(id));
      if (after !== null) await after();
    } catch (err) {
      this.log.error({ err, dialogId: id }, 'dialog timer failed');
    }
  }

  private async onTimer(id: string): Promise<After> {
    if (this.closed) return null;
    const s = await this.store.get(id);
    if (s === null || s.state === 'terminated') {
      this.forget(id);
      return null;
    }
    // Only the lease owner runs a dialog's timers (issue #5: "when a node takes a dialog
    // over, it takes the lease and the timers").
    if (!(await this.store.acquireLease(id, this.node, this.settings.leaseTtlMs))) {
      this.counters.leasesLost++;
      this.log.info({ dialogId: id }, 'lease held by another node: dropping local timers');
      this.forget(id);
      return null;
    }
    const now = this.clock.now();
    const action = dueAction(s, now);
    if (action.kind === 'end') return this.endLocked(s, action.party, action.reason);
    await this.refreshProfiles(s);
    if (action.kind === 'keepalive') return this.startProbe(s, now);
    this.arm(s);
    return null;
  }

  /** In-dialog OPTIONS to both ends (issue #5, Kamailio `ka_timer`), outside the queue. */
  private async startProbe(s: DialogState, now: number): Promise<After> {
    const next = {
      ...s,
      timers: { ...s.timers, keepaliveDueAt: now + this.settings.keepaliveIntervalMs },
      version: s.version + 1,
    };
    if (!(await this.commit(next))) return null;
    if (this.probing.has(s.id)) return null;
    this.probing.add(s.id);
    const opts = { cseq: 'same' as const, isOwnRoute: this.isOwnRoute };
    const toCaller = buildInDialogRequest(next, 'caller', 'OPTIONS', opts).request;
    const toCallee = buildInDialogRequest(next, 'callee', 'OPTIONS', opts).request;
    return async () => {
      try {
        const [caller, callee] = await Promise.all([
          this.send(toCaller, this.target(next, 'caller')),
          this.send(toCallee, this.target(next, 'callee')),
        ]);
        this.counters.keepalivesSent += 2;
        const after = await this.queue.run(s.callId, () =>
          this.probeResult(s.id, isKeepaliveFailure(caller), isKeepaliveFailure(callee)),
        );
        if (after !== null) await after();
      } finally {
        this.probing.delete(s.id);
      }
    };
  }

  private async probeResult(
    id: string,
    callerFailed: boolean,
    calleeFailed: boolean,
  ): Promise<After> {
    const s = await this.store.get(id);
    if (s === null || s.state !== 'confirmed') return null;
    this.counters.keepaliveFailures += (callerFailed ? 1 : 0) + (calleeFailed ? 1 : 0);
    const next: DialogState = {
      ...s,
      caller: { ...s.caller, keepaliveFailures: callerFailed ? s.caller.keepaliveFailures + 1 : 0 },
      callee: { ...s.callee, keepaliveFailures: calleeFailed ? s.callee.keepaliveFailures + 1 : 0 },
      version: s.version + 1,
    };
    const limit = this.settings.keepaliveFailures;
    if (next.caller.keepaliveFailures >= limit || next.callee.keepaliveFailures >= limit) {
      const who = next.callee.keepaliveFailures >= limit ? 'callee' : 'caller';
      return this.endLocked(next, 'keepalive-failed', `${who} failed ${limit} keep-alive(s)`);
    }
    await this.commit(next);
    return null;
  }

  // ---- ending -----------------------------------------------------------------------

  /**
   * Ends a dialog while holding its call's queue. For a confirmed dialog the BYEs (built
   * now: route set, remote target, CSeq = last + 1 in each direction) are sent by the
   * returned function once the queue is free; store, CDR and profiles are done here.
   */
  private async endLocked(
    s: DialogState,
    party: HangupParty,
    reason: string | null,
  ): Promise<After> {
    const now = this.clock.now();
    if (s.state === 'early') {
      const final = terminateDialogBy(s, party, now, reason);
      await this.finishCall(final, await this.callDialogs(s.callId, s.fromTag), true, true);
      return null;
    }
    const opts = { isOwnRoute: this.isOwnRoute };
    const toCallee = buildInDialogRequest(s, 'callee', 'BYE', opts);
    const toCaller = buildInDialogRequest(toCallee.state, 'caller', 'BYE', opts);
    const final = terminateDialogBy(toCaller.state, party, now, reason);
    await this.finishCall(final, [s], false, true);
    return async () => {
      const [a, b] = await Promise.all([
        this.send(toCaller.request, this.target(final, 'caller')),
        this.send(toCallee.request, this.target(final, 'callee')),
      ]);
      this.log.info({ dialogId: s.id, party, caller: a, callee: b }, 'dialog ended by proxy');
    };
  }

  /**
   * The one place a call ends: CDR once (CdrWriter's claim), every dialog record deleted
   * (tombstoned, so nothing resurrects it), leases, timers and profiles released, metrics.
   */
  private async finishCall(
    final: DialogState,
    dialogs: readonly DialogState[],
    wasEarly: boolean,
    writeCdr: boolean,
  ): Promise<void> {
    if (writeCdr && this.cdr !== null) {
      try {
        await this.cdr.write(final);
      } catch (err) {
        this.log.error({ err, dialogId: final.id }, 'CDR write failed');
      }
    }
    const all = dialogs.some((d) => d.id === final.id) ? dialogs : [...dialogs, final];
    for (const d of all) {
      const version = d.id === final.id ? Math.max(final.version, d.version + 1) : d.version;
      await this.store.delete(d.id, version);
      await this.store.releaseLease(d.id, this.node);
      this.forget(d.id);
    }
    await this.releaseProfiles(final);
    const party = final.disposition.hangupParty ?? 'proxy';
    this.counters.ended(party);
    this.emit({ type: 'terminated', state: final, party, wasEarly });
  }

  // ---- helpers ------------------------------------------------------------------------

  /** Live dialogs of one call (all forks of one INVITE share Call-ID and From tag). */
  private async callDialogs(callId: string, fromTag: string): Promise<DialogState[]> {
    const found = await this.store.findByCallId(callId);
    return found.filter((d) => d.fromTag === fromTag && d.state !== 'terminated');
  }

  /** A new record; a tombstone left by an earlier attempt of the same id is overwritten. */
  private async create(s: DialogState): Promise<boolean> {
    await this.store.acquireLease(s.id, this.node, this.settings.leaseTtlMs);
    const r = await this.store.put(s);
    if (r.ok) {
      this.track(s);
      return true;
    }
    const again = { ...s, version: r.current + 1 };
    if (!(await this.store.get(s.id)) && (await this.store.put(again)).ok) {
      this.track(again);
      return true;
    }
    return false;
  }

  /** A versioned write; a stale one (another node wrote newer) drops local ownership. */
  private async commit(next: DialogState): Promise<boolean> {
    const r = await this.store.put(next);
    if (r.ok) {
      this.track(next);
      return true;
    }
    this.counters.staleWrites++;
    this.log.warn({ dialogId: next.id, version: next.version, current: r.current }, 'stale write');
    this.forget(next.id);
    return false;
  }

  /** Read-modify-write with retries, for dialogs another node may be writing (links). */
  private async mutate(id: string, change: (s: DialogState) => DialogState): Promise<void> {
    for (let i = 0; i < 3; i++) {
      const s = await this.store.get(id);
      if (s === null) return;
      const r = await this.store.put(change(s));
      if (r.ok) {
        if (this.counters.phases.has(id)) this.track(change(s));
        return;
      }
    }
  }

  /** A sibling record that stops existing without ending the call (forks, the attempt). */
  private async drop(s: DialogState): Promise<void> {
    await this.store.delete(s.id, s.version + 1);
    await this.store.releaseLease(s.id, this.node);
    this.forget(s.id);
  }

  private track(s: DialogState): void {
    if (s.state === 'terminated') return this.forget(s.id);
    this.counters.phases.set(s.id, s.state);
    this.arm(s);
  }

  private forget(id: string): void {
    this.disarm(id);
    this.counters.phases.delete(id);
    for (const [k, p] of this.pending) if (p.dialogId === id) this.pending.delete(k);
  }

  private async acquireProfiles(
    key: string,
    call: CallOptions | undefined,
  ): Promise<string[] | null> {
    const limits = call?.profiles ?? [];
    if (limits.length === 0) return [];
    if (this.profiles === null) {
      this.log.warn('route has call profiles but the tracker has no CallProfiles: ignored');
      return [];
    }
    const acquired: string[] = [];
    for (const p of limits) {
      if (await this.profiles.tryAcquire(p.key, key, p.limit)) acquired.push(p.key);
      else {
        for (const k of acquired) await this.profiles.release(k, key);
        return null;
      }
    }
    return acquired;
  }

  /** Profile entries expire unless refreshed (a dead node's calls stop counting). */
  private async refreshProfiles(s: DialogState): Promise<void> {
    if (this.profiles === null) return;
    for (const k of s.profileKeys) await this.profiles.refresh(k, callKey(s));
  }

  private async releaseProfiles(s: DialogState): Promise<void> {
    if (this.profiles === null) return;
    for (const k of s.profileKeys) await this.profiles.release(k, callKey(s));
  }

  private target(s: DialogState, side: DialogSideName): OutboundTarget {
    return { side, dialogId: s.id, source: s[side].source };
  }

  private async send(req: SipRequest, target: OutboundTarget): Promise<SendOutcome> {
    try {
      return await this.sender.send(req, target);
    } catch (err) {
      this.log.warn({ err, dialogId: target.dialogId, side: target.side }, 'send failed');
      return { error: 'transport' };
    }
  }

  private emit(e: DialogEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log.error({ err, event: e.type }, 'dialog event listener threw');
      }
    }
  }
}

/** RFC 3326 Reason of a BYE, kept as the CDR's hangup reason. */
function reasonOf(req: SipRequest): string | null {
  return req.headers.get('reason') ?? null;
}

/** RFC 3892 Referred-By of a new INVITE (a transfer target's call), as a URI. */
function referredByOf(req: SipRequest): string | null {
  const v = req.headers.get('referred-by');
  if (v === undefined) return null;
  try {
    return serializeUri(parseNameAddr(v).uri);
  } catch {
    return null;
  }
}
