/**
 * CallControl (issue #14): the core's mid-call features on top of the dialog tracker —
 * call events for everything the tracker reports, the admin actions (end, transfer, hold,
 * runtime max-duration policy) and DTMF-over-INFO feature codes that run those actions.
 * Everything that originates SIP goes through the tracker's builders (BYE both legs,
 * REFER, re-INVITE: CSeq in the impersonated party's space, route set towards the party).
 */
import {
  otherSide,
  systemTimerClock,
  type DialogEvent,
  type DialogSideName,
  type DialogState,
  type DialogStore,
  type DialogTracker,
  type SendOutcome,
  type TimerClock,
} from '@strata/dialog';
import type { RedisClient } from '@strata/redis';
import { isSipUri, type SipRequest, type SipResponse } from '@strata/parser';
import type { RouteDecision } from '@strata/transaction';
import type { Logger } from 'pino';
import type { CallEvents } from '../events/call-events.js';
import type { DtmfData, TransferData } from '../events/call-event.js';
import { DtmfCollector, type FeatureHit } from '../features/dtmf-collector.js';
import { isDtmfInfo, parseDtmfInfo } from '../features/dtmf-info.js';
import type { FeaturesConfig } from '../features/features-config.js';
import { destinationOf } from '../routing/resolve.js';
import type { ActionsConfig } from './actions-config.js';
import { MemoryParkStore, RedisParkStore, type ParkStore } from './park.js';
import { RedisPolicyMarks } from './policy-marks.js';
import { Recording, type MediaServerOf } from './recording.js';
import { recordsAtSetup, RoutePolicies, type PolicyResult } from './route-policies.js';
import type { RoutePolicy } from './route-policy-config.js';
import { RuntimePolicy } from './runtime-policy.js';
import { bumpVersion, SdpMemory } from './sdp-memory.js';

export interface CallControlDeps {
  readonly tracker: DialogTracker;
  readonly store: DialogStore;
  readonly events: CallEvents;
  readonly actions: ActionsConfig;
  readonly features: FeaturesConfig;
  readonly logger: Logger;
  readonly clock?: TimerClock;
  /** the media server a call was routed to (null: not through a media group) */
  readonly mediaServerOf?: MediaServerOf;
  /** the media server of the park group that would take this call */
  readonly parkServer?: (callId: string) => string | null;
  /** the store's Redis (store: redis): park slots shared by the cluster */
  readonly redis?: RedisClient | null;
  readonly keyPrefix?: string;
  /** the profile-key template of a route's concurrency limit (`route:<name>` when it has none) */
  readonly concurrencyKey?: (route: string) => string;
  /** a route's `policies` in the current config (re-armed on a core adopting a call) */
  readonly routePolicies?: (route: string) => readonly RoutePolicy[];
}

export interface TransferOutcome {
  /** the REFER's final response, or why there is none */
  readonly refer: SendOutcome;
  /** the referee's final sipfrag status (RFC 3515 §2.4.5); null = none within referWaitMs */
  readonly notify: number | null;
  readonly referTo: string;
}

export type ActionError = {
  readonly error:
    | 'no-such-dialog'
    | 'not-confirmed'
    | 'bad-target'
    | 'not-via-media'
    | 'unavailable'
    | 'no-free-slot'
    | 'no-sdp';
};

export interface ParkOutcome extends TransferOutcome {
  /** the slot the call is parked in; null when the transfer to the park did not succeed */
  readonly slot: string | null;
  readonly server: string;
}

export interface PolicyOutcome {
  /** dialogs over the new limit, ended (BYE both legs, CDR reason `policy`) */
  readonly ended: string[];
  /** dialogs whose max-duration timer was moved earlier */
  readonly updated: string[];
}

export class CallControl {
  readonly policy = new RuntimePolicy();
  readonly recording: Recording;
  readonly parkSlots: ParkStore;
  /** the routes' scheduled actions (`routes[].policies`), run through this class's methods */
  readonly policies: RoutePolicies;
  /** the parties' last SDP, for holds without an operator-supplied SDP */
  readonly sdp = new SdpMemory();
  private readonly log: Logger;
  private readonly clock: TimerClock;
  private readonly collector: DtmfCollector;
  /** transfer waiters by Call-ID: resolved by the final sipfrag NOTIFY */
  private readonly referWaiters = new Map<string, Set<(status: number) => void>>();
  private readonly timers = new Set<unknown>();
  /** Call-IDs with a core-originated REFER in progress → the side REFERred */
  private readonly coreRefers = new Map<string, DialogSideName>();
  readonly counters = { dtmf: 0, features: 0, transfers: 0, holds: 0, ends: 0, policyEnded: 0 };

  constructor(private readonly d: CallControlDeps) {
    this.log = d.logger.child({ component: 'call-control' });
    this.clock = d.clock ?? systemTimerClock;
    this.collector = new DtmfCollector(
      d.features.codes,
      d.features.interDigitTimeoutMs,
      (hit) => void this.runFeature(hit),
      this.clock,
    );
    const serverOf = d.mediaServerOf ?? (() => null);
    this.recording = new Recording(d.actions.recording, {
      tracker: d.tracker,
      store: d.store,
      events: d.events,
      serverOf,
      log: this.log,
    });
    const p = d.actions.park;
    this.parkSlots =
      d.redis != null
        ? new RedisParkStore(
            d.redis,
            d.keyPrefix ?? 'strata',
            p.firstSlot,
            p.lastSlot,
            p.timeoutSeconds * 1000,
            d.actions.referWaitMs + 30_000,
          )
        : new MemoryParkStore(p.firstSlot, p.lastSlot, p.timeoutSeconds * 1000, this.clock);
    this.policies = new RoutePolicies({
      store: d.store,
      events: d.events,
      clock: this.clock,
      run: (id, policy) => this.runPolicy(id, policy),
      log: this.log,
      lookup: d.routePolicies ?? (() => []),
      marks: d.redis != null ? new RedisPolicyMarks(d.redis, d.keyPrefix ?? 'strata') : null,
    });
  }

  start(): void {
    this.d.tracker.onEvent((e) => this.onDialogEvent(e));
  }

  stop(): void {
    this.collector.close();
    this.parkSlots.close();
    this.policies.close();
    for (const t of this.timers) this.clock.clearTimer(t);
    this.timers.clear();
  }

  // ---- actions ---------------------------------------------------------------------

  /**
   * The dialog an action is for: by id, or the live (confirmed first) dialog of a Call-ID.
   * undefined = neither given; null = none found.
   */
  async findDialog(id: string | null, callId: string | null): Promise<string | null | undefined> {
    if (id !== null) {
      const s = await this.d.store.get(id);
      return s === null || s.state === 'terminated' ? null : s.id;
    }
    if (callId === null) return undefined;
    const live = (await this.d.store.findByCallId(callId)).filter((s) => s.state !== 'terminated');
    return (live.find((s) => s.state === 'confirmed') ?? live[0])?.id ?? null;
  }

  /** BYE to both legs (tracker.endDialog: CSeq last + 1 each way, route set), CDR party proxy. */
  async end(id: string, reason = 'admin'): Promise<boolean> {
    const ok = await this.d.tracker.endDialog(id, 'proxy', reason);
    if (ok) this.counters.ends++;
    return ok;
  }

  /**
   * Blind transfer of `side` to `target` (RFC 3515): a REFER in the dialog to that party,
   * in its peer's name (Referred-By the peer, RFC 3892). Answers with the REFER's result
   * and the referee's final NOTIFY sipfrag status; on 2xx the old dialog is ended.
   */
  async transfer(
    id: string,
    side: DialogSideName,
    target: string,
    waitMs = this.d.actions.referWaitMs,
  ): Promise<TransferOutcome | ActionError> {
    const s = await this.d.store.get(id);
    if (s === null || s.state === 'terminated') return { error: 'no-such-dialog' };
    if (s.state !== 'confirmed') return { error: 'not-confirmed' };
    const referTo = this.targetUri(s, target);
    if (referTo === null) return { error: 'bad-target' };
    const notified = this.waitForNotify(s.callId, waitMs);
    this.counters.transfers++;
    this.publishTransfer(s, { referTo, status: null, by: 'core' }, side);
    // the referee's NOTIFYs report on the core's REFER: their events say `by: core`
    this.coreRefers.set(s.callId, side);
    try {
      const refer = await this.d.tracker.refer(id, side, referTo, s[otherSide(side)].uri);
      if (refer === null) {
        notified.cancel();
        return { error: 'not-confirmed' };
      }
      if (!('status' in refer) || refer.status >= 300) {
        notified.cancel();
        this.publishTransfer(
          s,
          { referTo, status: 'status' in refer ? refer.status : null, by: 'core' },
          side,
        );
        return { refer, notify: null, referTo };
      }
      const notify = await notified.promise;
      if (notify !== null && notify >= 200 && notify < 300) this.hangupAfterTransfer(id);
      return { refer, notify, referTo };
    } finally {
      this.coreRefers.delete(s.callId);
    }
  }

  /**
   * Puts `side` on hold (re-INVITE offering `sdp` as sendonly, RFC 3264 §8.4) or resumes
   * it (sendrecv). The SDP is the peer's media description (the caller of the API knows it:
   * the media server's, typically).
   */
  async hold(
    id: string,
    side: DialogSideName,
    sdp: string | null,
    hold: boolean,
  ): Promise<{ readonly reinvite: SendOutcome } | ActionError> {
    const s = await this.d.store.get(id);
    if (s === null) return { error: 'no-such-dialog' };
    // without an SDP: the peer's last description, as a new version (RFC 3264 §8)
    const remembered = this.sdp.peerOf(s.callId, side);
    const offer = sdp ?? (remembered === null ? null : bumpVersion(remembered));
    if (offer === null) return { error: 'no-sdp' };
    const outcome = await this.d.tracker.hold(id, side, offer, hold);
    if (outcome === null) return { error: 'not-confirmed' };
    this.counters.holds++;
    if ('status' in outcome && outcome.status >= 200 && outcome.status < 300) {
      if (sdp === null) this.sdp.offered(s.callId, side, offer);
      const now = (await this.d.store.get(id)) ?? s;
      this.d.events.publish(hold ? 'held' : 'resumed', now, {
        holder: otherSide(side),
        by: 'core',
      });
    }
    return { reinvite: outcome };
  }

  /**
   * Runtime max-duration cap (s; null = back to the config). With `applyToActive`, calls
   * in progress get it too: answered calls already over it end now (BYE both legs, CDR
   * party max-duration, reason `policy`), the others get their timer moved earlier (never
   * later: a stricter per-route limit stays).
   */
  async setMaxDuration(seconds: number | null, applyToActive: boolean): Promise<PolicyOutcome> {
    this.policy.maxDurationCap = seconds;
    const out: PolicyOutcome = { ended: [], updated: [] };
    if (!applyToActive || seconds === null || seconds <= 0) return out;
    const capMs = seconds * 1000;
    const now = this.clock.now();
    for (const s of await this.d.store.list()) {
      if (s.state === 'terminated') continue;
      const base = s.answeredAt ?? s.createdAt;
      if (s.state === 'confirmed' && now - base >= capMs) {
        if (await this.d.tracker.endDialog(s.id, 'max-duration', 'policy')) {
          out.ended.push(s.id);
          this.counters.policyEnded++;
        }
        continue;
      }
      const current = s.timers.maxDurationAt;
      if (current !== null && current <= base + capMs) continue;
      if ((await this.d.tracker.setMaxDuration(s.id, capMs)) !== null) out.updated.push(s.id);
    }
    return out;
  }

  /**
   * Parks `side` (RFC 3515 blind transfer to the park extension): REFER to
   * `sip:<prefix><slot>@<server>` on the media server the call uses (else the park group's);
   * once the NOTIFY says 2xx the slot is recorded, `parked` is published and the old
   * dialog ends (the parker's leg gets its BYE).
   */
  async park(id: string, side: DialogSideName, by = 'admin'): Promise<ParkOutcome | ActionError> {
    const s = await this.d.store.get(id);
    if (s === null || s.state === 'terminated') return { error: 'no-such-dialog' };
    if (s.state !== 'confirmed') return { error: 'not-confirmed' };
    const server = this.d.mediaServerOf?.(s.callId)?.uri ?? this.d.parkServer?.(s.callId) ?? null;
    if (server === null) {
      this.d.events.publish('action-refused', s, {
        action: 'park',
        by,
        reason: 'no media server to park on',
      });
      return { error: 'not-via-media' };
    }
    const slot = await this.parkSlots.reserve(s[otherSide(side)].uri);
    if (slot === null) {
      this.d.events.publish('action-refused', s, {
        action: 'park',
        by,
        reason: 'no free park slot',
      });
      return { error: 'no-free-slot' };
    }
    const referTo = `sip:${this.d.actions.park.prefix}${slot}@${hostPort(server)}`;
    const r = await this.transfer(id, side, referTo);
    if ('error' in r || r.notify === null || r.notify < 200 || r.notify >= 300) {
      await this.parkSlots.release(slot);
      return 'error' in r ? r : { ...r, slot: null, server };
    }
    await this.parkSlots.commit({ slot, server, callId: s.callId, parker: s[otherSide(side)].uri });
    this.d.events.publish('parked', s, { slot, server, parked: side, by });
    return { ...r, slot, server };
  }

  /**
   * An initial INVITE (any route): only the core may send the media-layer headers, so a
   * client's copies go; then the recording mark (dialog-mode routes; `record: true` or a
   * `record` policy at 0 s).
   */
  markInvite(
    req: SipRequest,
    route: {
      readonly record?: boolean | undefined;
      readonly policies?: readonly RoutePolicy[] | undefined;
    } | null,
    tracked: boolean,
  ): void {
    try {
      const parker = this.d.actions.park.parkerHeader;
      if (req.headers.has(parker)) req.headers.remove(parker);
      const record = route !== null && (route.record === true || recordsAtSetup(route.policies));
      this.recording.mark(req, route === null ? null : { record }, tracked);
    } catch (err) {
      this.log.debug({ err }, 'call control skipped an INVITE');
    }
  }

  /**
   * Headers for an initial INVITE's branches to a media server: the recording file when the
   * call is recorded; the parker on the parked party's call to `park-<slot>` (ring-back).
   */
  async mediaHeaders(req: SipRequest): Promise<readonly (readonly [string, string])[]> {
    const out = [...this.recording.headers(req)];
    if (req.method !== 'INVITE' || req.toTag !== null) return out;
    const prefix = this.d.actions.park.prefix;
    let user: string | null = null;
    try {
      const uri = req.requestUri;
      user = isSipUri(uri) ? uri.user : null;
    } catch {
      return out;
    }
    if (user === null || !user.startsWith(prefix)) return out;
    const slot = user.slice(prefix.length);
    if (!this.parkSlots.isSlot(slot)) return out;
    try {
      const parker = await this.parkSlots.parkerOf(slot);
      if (parker !== null) out.push([this.d.actions.park.parkerHeader, parker]);
    } catch (err) {
      this.log.warn({ err, slot }, 'park store failed: no parker header');
    }
    return out;
  }

  /**
   * An initial INVITE to a parked slot (its Request-URI user), from any phone: routed to
   * the media server holding the call, as `sip:<slot>@<server>`. Null when not a slot.
   */
  async retrieveParked(req: SipRequest): Promise<RouteDecision | null> {
    let user: string | null = null;
    try {
      const uri = req.requestUri;
      user = isSipUri(uri) ? uri.user : null;
    } catch {
      return null;
    }
    if (user === null || !this.parkSlots.isSlot(user)) return null;
    let parked;
    try {
      parked = await this.parkSlots.take(user);
    } catch (err) {
      this.log.warn({ err, slot: user }, 'park store failed: routing by the route table');
      return null;
    }
    if (parked === null) return null;
    const uri = `sip:${parked.slot}@${hostPort(parked.server)}`;
    let destination;
    try {
      destination = await destinationOf(parked.server);
    } catch {
      return { action: 'reply', status: 480, reason: 'Temporarily Unavailable' };
    }
    void this.d.store.findByCallId(req.callId).then((found) => {
      const s = found[0];
      if (s !== undefined)
        this.d.events.publish('retrieved', s, {
          slot: parked.slot,
          server: parked.server,
          parkedCallId: parked.callId,
        });
    });
    return { action: 'relay', targets: [{ uri, destination }] };
  }

  /**
   * A concurrency limit lowered with `applyToActive`: per profile key of the route (its
   * template with any value in place of `${…}`), the newest calls over `limit` are ended
   * (BYE both legs, CDR party proxy, reason `policy`); the oldest `limit` stay.
   */
  async enforceConcurrency(route: string, limit: number): Promise<{ ended: string[] }> {
    const template = this.d.concurrencyKey?.(route) ?? `route:${route}`;
    const pattern = new RegExp(
      `^${template
        .split(/\$\{[^}]*\}/)
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    const byKey = new Map<string, DialogState[]>();
    for (const s of await this.d.store.list()) {
      if (s.state === 'terminated') continue;
      for (const k of s.profileKeys)
        if (pattern.test(k)) byKey.set(k, [...(byKey.get(k) ?? []), s]);
    }
    const ended: string[] = [];
    for (const calls of byKey.values()) {
      // forks of one call share a key: count calls (Call-ID + From tag), not dialogs
      const distinct = [...new Map(calls.map((c) => [`${c.callId}:${c.fromTag}`, c])).values()];
      distinct.sort((a, b) => a.createdAt - b.createdAt);
      for (const s of distinct.slice(limit))
        if (await this.d.tracker.endDialog(s.id, 'proxy', 'policy')) {
          ended.push(s.id);
          this.counters.policyEnded++;
        }
    }
    return { ended };
  }

  // ---- DTMF over INFO ----------------------------------------------------------------

  /** A request the core relays on a tracked call: SDP remembered, DTMF INFO handled. */
  onRelay(req: SipRequest, dialogId: string | null, from: DialogSideName | null): void {
    // on the SIP path: a bad message must never break relaying it
    try {
      this.sdp.request(req);
      if (req.method === 'INFO') this.onInfo(req, dialogId, from);
    } catch (err) {
      this.log.debug({ err, callId: dialogId }, 'call control skipped a request');
    }
  }

  /** A response the core relays (SDP answers). */
  onResponse(res: SipResponse): void {
    try {
      this.sdp.response(res);
    } catch (err) {
      this.log.debug({ err }, 'call control skipped a response');
    }
  }

  /**
   * An in-dialog INFO the core relays (unchanged): DTMF bodies become `dtmf` events and
   * feed the feature-code matcher. Never throws (bad bodies are ignored).
   */
  onInfo(req: SipRequest, dialogId: string | null, from: DialogSideName | null): void {
    if (dialogId === null || from === null) return;
    const ct = req.headers.get('content-type');
    if (!isDtmfInfo(ct)) return;
    const dtmf = parseDtmfInfo(ct, req.body);
    if (dtmf === null) return;
    this.counters.dtmf++;
    void this.d.store
      .get(dialogId)
      .then((s) => {
        if (s === null) return;
        const data: DtmfData = {
          side: from,
          digit: dtmf.digit,
          durationMs: dtmf.durationMs,
          source: 'info',
        };
        this.d.events.publish('dtmf', s, { ...data });
        this.collector.digit(dialogId, from, dtmf.digit);
      })
      .catch((err: unknown) => this.log.warn({ err, dialogId }, 'DTMF handling failed'));
  }

  stats(): Record<string, unknown> {
    return {
      ...this.counters,
      pendingDigits: this.collector.size,
      policy: this.policy.snapshot(),
      routePolicies: this.policies.stats(),
    };
  }

  // ---- internals ---------------------------------------------------------------------

  private async runFeature(hit: FeatureHit): Promise<void> {
    this.counters.features++;
    const peer = otherSide(hit.side);
    this.log.info(
      { dialogId: hit.dialogId, side: hit.side, code: hit.code.code, action: hit.code.action },
      'feature code',
    );
    try {
      switch (hit.code.action) {
        case 'transfer': {
          // the dialler hands the other party over to the number (blind transfer)
          const r = await this.transfer(hit.dialogId, peer, hit.arg ?? '');
          if ('error' in r)
            this.log.info({ dialogId: hit.dialogId, error: r.error }, 'feature transfer refused');
          return;
        }
        case 'hangup':
          await this.end(hit.dialogId, `feature ${hit.code.code}`);
          return;
        case 'record':
        case 'stop-record':
          await this.recording.toggle(hit.dialogId, hit.code.action === 'record', 'feature');
          return;
        case 'park':
          // the dialler parks the other party
          await this.park(hit.dialogId, peer, 'feature');
          return;
      }
    } catch (err) {
      this.log.warn({ err, dialogId: hit.dialogId }, 'feature action failed');
    }
  }

  /**
   * One route policy's action, through the admin API's methods (`by: policy` where they
   * take an initiator). Never throws: the outcome is the result.
   */
  private async runPolicy(id: string, p: RoutePolicy): Promise<PolicyResult> {
    const status = (o: SendOutcome): number | null => ('status' in o ? o.status : null);
    switch (p.action) {
      case 'end': {
        if (!(await this.end(id, 'policy'))) return { ok: false, error: 'no-such-dialog' };
        this.counters.policyEnded++;
        return { ok: true };
      }
      case 'transfer': {
        const r = await this.transfer(id, p.party, p.target);
        if ('error' in r) return { ok: false, error: r.error };
        const detail = { referTo: r.referTo, refer: status(r.refer), notify: r.notify };
        return r.notify !== null && r.notify >= 200 && r.notify < 300
          ? { ok: true, detail }
          : { ok: false, error: `transfer not completed (${JSON.stringify(detail)})` };
      }
      case 'hold':
      case 'resume': {
        const r = await this.hold(id, p.party, null, p.action === 'hold');
        if ('error' in r) return { ok: false, error: r.error };
        const st = status(r.reinvite);
        return st !== null && st >= 200 && st < 300
          ? { ok: true, detail: { reinvite: st } }
          : { ok: false, error: `re-INVITE answered ${st ?? 'not at all'}` };
      }
      case 'park': {
        const r = await this.park(id, p.party, 'policy');
        if ('error' in r) return { ok: false, error: r.error };
        return r.slot !== null
          ? { ok: true, detail: { slot: r.slot, server: r.server } }
          : { ok: false, error: `park not completed (NOTIFY ${r.notify ?? 'none'})` };
      }
      case 'record':
      case 'stop-record': {
        const r = await this.recording.toggle(id, p.action === 'record', 'policy');
        return 'error' in r ? { ok: false, error: r.error } : { ok: true, detail: r };
      }
    }
  }

  private onDialogEvent(e: DialogEvent): void {
    // a call's recording stops before it ends, and starts once it is answered
    if (e.type === 'terminated') {
      this.policies.terminated(e.state);
      this.recording.terminated(e.state);
      this.collector.forget(e.state.id);
      this.sdp.forget(e.state.callId);
    }
    const referee = e.type === 'refer' ? this.coreRefers.get(e.state.callId) : undefined;
    if (e.type === 'refer' && referee !== undefined)
      this.publishTransfer(e.state, { referTo: e.referTo, status: e.status, by: 'core' }, referee);
    else this.d.events.fromDialog(e);
    if (e.type === 'confirmed') {
      this.recording.confirmed(e.state);
      this.policies.confirmed(e.state);
    }
    if (e.type === 'refer' && e.status !== null && e.status >= 200) {
      const waiters = this.referWaiters.get(e.state.callId);
      if (waiters !== undefined) for (const w of [...waiters]) w(e.status);
    }
  }

  private waitForNotify(
    callId: string,
    ms: number,
  ): { promise: Promise<number | null>; cancel: () => void } {
    let cancel = (): void => undefined;
    const promise = new Promise<number | null>((resolve) => {
      const set = this.referWaiters.get(callId) ?? new Set();
      this.referWaiters.set(callId, set);
      const done = (status: number | null): void => {
        set.delete(waiter);
        if (set.size === 0) this.referWaiters.delete(callId);
        this.clock.clearTimer(timer);
        this.timers.delete(timer);
        resolve(status);
      };
      const waiter = (status: number): void => done(status);
      set.add(waiter);
      const timer = this.clock.setTimer(() => done(null), ms);
      this.timers.add(timer);
      cancel = () => done(null);
    });
    return { promise, cancel };
  }

  private hangupAfterTransfer(id: string): void {
    const delay = this.d.actions.transferHangupDelayMs;
    if (delay < 0) return;
    const t = this.clock.setTimer(async () => {
      this.timers.delete(t);
      await this.d.tracker.endDialog(id, 'transfer', 'transferred').catch(() => false);
    }, delay);
    this.timers.add(t);
  }

  private publishTransfer(s: DialogState, data: TransferData, side: DialogSideName): void {
    this.d.events.publish('transferred', s, { ...data, referee: side });
  }

  /** A SIP URI as given, or a bare number/user at the transfer domain (default: the callee URI's host). */
  private targetUri(s: DialogState, target: string): string | null {
    const t = target.trim();
    if (/^sips?:[^\s<>"]+$/i.test(t)) return t;
    if (!/^[A-Za-z0-9*#+._-]{1,64}$/.test(t)) return null;
    const domain = this.d.actions.transferDomain ?? hostOf(s.callee.uri);
    return domain === null ? null : `sip:${t.replace(/#/g, '%23')}@${domain}`;
  }
}

/** "sip:10.0.0.5:5080;transport=udp" → "10.0.0.5:5080;transport=udp" (the URI after scheme and user). */
function hostPort(uri: string): string {
  return uri.replace(/^sips?:(?:[^@]*@)?/i, '');
}

function hostOf(uri: string): string | null {
  const m = /^sips?:(?:[^@]*@)?([^;?>]+)/i.exec(uri);
  return m?.[1] ?? null;
}
