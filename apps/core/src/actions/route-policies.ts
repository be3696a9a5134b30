/**
 * Route policies (issue #14): the mid-call actions a route schedules (`routes[].policies`),
 * armed when a call is answered, timed from its answer, cancelled when it ends. The
 * actions themselves are CallControl's (the admin API's): this class only schedules, logs
 * and publishes the outcome as a `policy` call event.
 *
 * Failover: with a Redis store, the route's name and the policies already run are kept
 * per Call-ID (PolicyMarks), so a core adopting the dialog re-arms the rest from the
 * dialog's stored answer time (overdue ones run at once).
 */
import type { DialogState, DialogStore, TimerClock, TimerHandle } from '@strata/dialog';
import type { Logger } from 'pino';
import type { CallEvents } from '../events/call-events.js';
import type { PolicyMarks } from './policy-marks.js';
import type { RoutePolicy } from './route-policy-config.js';

export type PolicyResult =
  | { readonly ok: true; readonly detail?: Readonly<Record<string, unknown>> }
  | { readonly ok: false; readonly error: string };

/** Runs one policy's action on a dialog (CallControl's methods). */
export type PolicyRunner = (dialogId: string, policy: RoutePolicy) => Promise<PolicyResult>;

export interface RoutePoliciesDeps {
  readonly store: DialogStore;
  readonly events: CallEvents;
  readonly clock: TimerClock;
  readonly run: PolicyRunner;
  readonly log: Logger;
  /** a route's policies by name, in the current config (adopted calls) */
  readonly lookup: (route: string) => readonly RoutePolicy[];
  /** shared marks for failover (Redis store); null = this node only */
  readonly marks: PolicyMarks | null;
}

interface Armed {
  readonly callId: string;
  readonly route: string;
  readonly timers: Set<TimerHandle>;
}

/** `record` at 0 s is a setup-time mark (the INVITE to the media server carries it). */
export function recordsAtSetup(policies: readonly RoutePolicy[] | undefined): boolean {
  return policies?.some((p) => p.action === 'record' && p.afterAnsweredSeconds === 0) ?? false;
}

export class RoutePolicies {
  /** Call-ID → its route's policies, from the initial INVITE until the answer */
  private readonly pending = new Map<string, { route: string; policies: readonly RoutePolicy[] }>();
  /** dialog id → its armed timers */
  private readonly armed = new Map<string, Armed>();
  /** Call-IDs adopted from another core while still ringing: armed from the marks at the answer */
  private readonly adoptedEarly = new Set<string>();
  readonly counters = { armed: 0, fired: 0, failed: 0, cancelled: 0, rearmed: 0 };

  constructor(private readonly d: RoutePoliciesDeps) {}

  /** An initial INVITE the tracker accepted on a route (dialog mode). */
  routed(callId: string, route: string, policies: readonly RoutePolicy[] | undefined): void {
    if (policies === undefined || policies.length === 0) return;
    this.pending.set(callId, { route, policies });
    this.d.marks?.routed(callId, route, policies).catch((err: unknown) => {
      this.d.log.warn({ err, callId, route }, 'policy marks not stored: no re-arm on failover');
    });
  }

  /** The call was answered here: its policies are armed from now. */
  confirmed(s: DialogState): void {
    const p = this.pending.get(s.callId);
    if (p !== undefined) {
      this.pending.delete(s.callId);
      this.arm(s, p.route, p.policies, new Set());
      return;
    }
    // answered on a core that adopted the early dialog: the marks say which route
    if (this.adoptedEarly.delete(s.callId)) void this.rearm(s.id);
  }

  /** This core took the dialog over (failover): re-arm what the dead core had not run. */
  async adopted(dialogId: string): Promise<void> {
    if (this.d.marks !== null) await this.rearm(dialogId);
  }

  terminated(s: DialogState): void {
    this.adoptedEarly.delete(s.callId);
    const a = this.armed.get(s.id);
    if (a !== undefined) {
      for (const t of a.timers) this.d.clock.clearTimer(t);
      this.counters.cancelled += a.timers.size;
      this.armed.delete(s.id);
    }
    if (s.answeredAt !== null) {
      this.pending.delete(s.callId);
      this.forgetMarks(s.callId);
      return;
    }
    if (!this.pending.has(s.callId)) return;
    // one fork failed: the call's policies wait while another dialog of it is still live
    void this.d.store
      .findByCallId(s.callId)
      .then((all) => {
        if (all.some((o) => o.state !== 'terminated')) return;
        this.pending.delete(s.callId);
        this.forgetMarks(s.callId);
      })
      .catch(() => this.pending.delete(s.callId));
  }

  close(): void {
    for (const a of this.armed.values()) for (const t of a.timers) this.d.clock.clearTimer(t);
    this.armed.clear();
    this.pending.clear();
    this.adoptedEarly.clear();
  }

  stats(): Record<string, number> {
    return {
      ...this.counters,
      pendingCalls: this.pending.size,
      armedDialogs: this.armed.size,
      armedTimers: [...this.armed.values()].reduce((n, a) => n + a.timers.size, 0),
    };
  }

  // ---- internals ---------------------------------------------------------------------

  private async rearm(dialogId: string): Promise<void> {
    try {
      const s = await this.d.store.get(dialogId);
      if (s?.state === 'early') this.adoptedEarly.add(s.callId);
      if (s === null || s.state !== 'confirmed' || this.armed.has(s.id)) return;
      const marks = await this.d.marks?.load(s.callId);
      if (marks === null || marks === undefined) return;
      const policies = this.d.lookup(marks.route);
      if (policies.length === 0) return;
      if (marks.count !== policies.length)
        this.d.log.warn(
          { dialogId, route: marks.route },
          'route policies changed since the call started: re-armed from the current config',
        );
      this.counters.rearmed++;
      this.arm(s, marks.route, policies, marks.done);
    } catch (err) {
      this.d.log.warn({ err, dialogId }, 'route policies not re-armed');
    }
  }

  /** Timers for every policy not run yet, from the answer (overdue: at once). */
  private arm(
    s: DialogState,
    route: string,
    policies: readonly RoutePolicy[],
    done: ReadonlySet<number>,
  ): void {
    if (this.armed.has(s.id)) return;
    const a: Armed = { callId: s.callId, route, timers: new Set() };
    const now = this.d.clock.now();
    const base = s.answeredAt ?? now;
    policies.forEach((p, i) => {
      if (done.has(i) || (p.action === 'record' && p.afterAnsweredSeconds === 0)) return;
      const delay = Math.max(0, base + p.afterAnsweredSeconds * 1000 - now);
      const t = this.d.clock.setTimer(() => this.fire(s.id, a, i, p, t), delay);
      a.timers.add(t);
    });
    if (a.timers.size === 0) return;
    this.armed.set(s.id, a);
    this.counters.armed += a.timers.size;
    this.d.log.debug({ dialogId: s.id, route, timers: a.timers.size }, 'route policies armed');
  }

  private async fire(
    dialogId: string,
    a: Armed,
    index: number,
    p: RoutePolicy,
    t: TimerHandle,
  ): Promise<void> {
    a.timers.delete(t);
    if (a.timers.size === 0 && this.armed.get(dialogId) === a) this.armed.delete(dialogId);
    this.counters.fired++;
    const fields = { route: a.route, ...p };
    let s: DialogState | null = null;
    let result: PolicyResult;
    try {
      s = await this.d.store.get(dialogId);
      if (s === null || s.state === 'terminated') return;
      // marked first: a core adopting the call mid-action must not run it a second time
      await this.d.marks?.fired(a.callId, index).catch((err: unknown) => {
        this.d.log.warn({ err, dialogId }, 'policy mark not stored');
      });
      result = await this.d.run(dialogId, p);
    } catch (err) {
      result = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    if (s === null) return;
    if (!result.ok) this.counters.failed++;
    const data = result.ok
      ? { ...fields, ok: true, ...(result.detail ?? {}) }
      : { ...fields, ok: false, error: result.error };
    if (result.ok) this.d.log.info({ dialogId, ...data }, 'route policy ran');
    else this.d.log.warn({ dialogId, ...data }, 'route policy failed');
    this.d.events.publish('policy', s, data);
  }

  private forgetMarks(callId: string): void {
    this.d.marks?.forget(callId).catch((err: unknown) => {
      this.d.log.debug({ err, callId }, 'policy marks not removed (they expire)');
    });
  }
}
