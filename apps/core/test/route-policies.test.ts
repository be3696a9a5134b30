/**
 * Route policies (issue #14): schema validation, scheduling from the answer, cancel on the
 * call's end (no timer left), forks, failover re-arm from the marks, and the actions run
 * through CallControl's own methods (end → tracker.endDialog, reason `policy`).
 * Fake timers throughout: the scheduler uses the system TimerClock (setTimeout, Date.now).
 */
import {
  MemoryDialogStore,
  systemTimerClock,
  type DialogEvent,
  type DialogState,
  type DialogTracker,
} from '@strata/dialog';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { actionsConfigSchema } from '../src/actions/actions-config.js';
import { CallControl } from '../src/actions/call-control.js';
import type { PolicyMarks, PolicyMarksRecord } from '../src/actions/policy-marks.js';
import {
  recordsAtSetup,
  RoutePolicies,
  type PolicyResult,
  type PolicyRunner,
} from '../src/actions/route-policies.js';
import { routePolicySchema, type RoutePolicy } from '../src/actions/route-policy-config.js';
import { routeSchema } from '../src/config.js';
import type { CallEvent } from '../src/events/call-event.js';
import { CallEvents } from '../src/events/call-events.js';
import { featuresConfigSchema } from '../src/features/features-config.js';
import { recordedDialog, T0 } from './support/dialog-fixture.js';

const log = pino({ level: 'silent' });

const PREPAID: RoutePolicy[] = [
  { afterAnsweredSeconds: 300, action: 'transfer', party: 'caller', target: 'sip:x@media' },
  { afterAnsweredSeconds: 310, action: 'end' },
  { afterAnsweredSeconds: 0, action: 'record' },
  { afterAnsweredSeconds: 60, action: 'hold', party: 'callee' },
];

/** The marks a Redis store would keep, shared by two "cores". */
class SharedMarks implements PolicyMarks {
  readonly calls = new Map<string, { route: string; count: number; done: Set<number> }>();
  routed(callId: string, route: string, policies: readonly RoutePolicy[]): Promise<void> {
    this.calls.set(callId, { route, count: policies.length, done: new Set() });
    return Promise.resolve();
  }
  fired(callId: string, index: number): Promise<void> {
    this.calls.get(callId)?.done.add(index);
    return Promise.resolve();
  }
  load(callId: string): Promise<PolicyMarksRecord | null> {
    const c = this.calls.get(callId);
    return Promise.resolve(c === undefined ? null : { ...c, done: new Set(c.done) });
  }
  forget(callId: string): Promise<void> {
    this.calls.delete(callId);
    return Promise.resolve();
  }
}

describe('routes[].policies schema', () => {
  it('accepts the documented example', () => {
    const r = routeSchema.parse({
      name: 'prepaid',
      match: { prefix: ['900'] },
      targets: [{ mediaGroup: 'media' }],
      policies: PREPAID,
    });
    expect(r.policies).toEqual(PREPAID);
  });

  it.each([
    [{ afterAnsweredSeconds: 5, action: 'transfer', party: 'caller' }, 'transfer without target'],
    [{ afterAnsweredSeconds: 5, action: 'transfer', target: 'sip:a@b' }, 'transfer without party'],
    [{ afterAnsweredSeconds: 5, action: 'hold' }, 'hold without party'],
    [{ afterAnsweredSeconds: 5, action: 'park' }, 'park without party'],
    [{ afterAnsweredSeconds: 5, action: 'end', party: 'caller' }, 'end with a party'],
    [{ afterAnsweredSeconds: -1, action: 'end' }, 'negative time'],
    [{ action: 'end' }, 'no time'],
    [{ afterAnsweredSeconds: 5, action: 'explode' }, 'unknown action'],
    [{ afterAnsweredSeconds: 5, action: 'transfer', party: 'x', target: 'sip:a@b' }, 'bad party'],
  ] as [unknown, string][])('rejects %j (%s)', (policy) => {
    expect(routePolicySchema.safeParse(policy).success).toBe(false);
  });

  it('policies need a dialog-mode route', () => {
    const route = { name: 'r', targets: [{ mediaGroup: 'media' }], policies: PREPAID };
    expect(routeSchema.safeParse({ ...route, mode: 'transaction' }).success).toBe(false);
    expect(routeSchema.safeParse({ ...route, mode: 'stateless' }).success).toBe(false);
    expect(routeSchema.safeParse({ ...route, mode: 'dialog' }).success).toBe(true);
    expect(routeSchema.safeParse({ ...route, mode: 'stateless', policies: [] }).success).toBe(true);
  });

  it('record at 0 s is a setup-time mark (= record: true); later it is not', () => {
    expect(recordsAtSetup(PREPAID)).toBe(true);
    expect(recordsAtSetup([{ afterAnsweredSeconds: 5, action: 'record' }])).toBe(false);
    expect(recordsAtSetup(undefined)).toBe(false);
  });
});

describe('RoutePolicies scheduling', () => {
  let store: MemoryDialogStore;
  let events: CallEvent[];
  let callEvents: CallEvents;
  let ran: { id: string; action: string; at: number }[];
  let results: Map<string, PolicyResult>;

  const runner: PolicyRunner = (id, p) => {
    ran.push({ id, action: p.action, at: Date.now() });
    return Promise.resolve(results.get(p.action) ?? { ok: true });
  };

  function make(marks: PolicyMarks | null = null): RoutePolicies {
    return new RoutePolicies({
      store,
      events: callEvents,
      clock: systemTimerClock,
      run: runner,
      log,
      lookup: (route) => (route === 'prepaid' ? PREPAID : []),
      marks,
    });
  }

  /** The fixture's call answered now (T0 + 2 s). */
  async function answered(): Promise<DialogState> {
    const s = recordedDialog();
    await store.put(s);
    return s;
  }

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 + 2_000 });
    store = new MemoryDialogStore({ node: 'core-1', sweepIntervalMs: 0 });
    events = [];
    callEvents = new CallEvents('core-1', [], log);
    callEvents.onEvent((e) => events.push(e));
    ran = [];
    results = new Map();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('timed from the answer: hold at 60 s, transfer at 300 s, end at 310 s; record at 0 s is no timer', async () => {
    const p = make();
    const s = await answered();
    p.routed(s.callId, 'prepaid', PREPAID);
    p.confirmed(s);
    expect(vi.getTimerCount()).toBe(3);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(ran).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(ran).toEqual([{ id: s.id, action: 'hold', at: T0 + 62_000 }]);
    await vi.advanceTimersByTimeAsync(250_000);
    expect(ran.map((r) => [r.action, r.at - T0 - 2_000])).toEqual([
      ['hold', 60_000],
      ['transfer', 300_000],
      ['end', 310_000],
    ]);
    const pol = events.filter((e) => e.type === 'policy');
    expect(pol.map((e) => e.data)).toEqual([
      { route: 'prepaid', afterAnsweredSeconds: 60, action: 'hold', party: 'callee', ok: true },
      {
        route: 'prepaid',
        afterAnsweredSeconds: 300,
        action: 'transfer',
        party: 'caller',
        target: 'sip:x@media',
        ok: true,
      },
      { route: 'prepaid', afterAnsweredSeconds: 310, action: 'end', ok: true },
    ]);
    expect(pol[0]!.callId).toBe(s.callId);
    expect(vi.getTimerCount()).toBe(0);
    expect(p.stats()).toMatchObject({ armedDialogs: 0, armedTimers: 0, pendingCalls: 0, fired: 3 });
  });

  it('the call ends first: every timer cancelled, nothing runs, nothing kept', async () => {
    const p = make();
    const s = await answered();
    p.routed(s.callId, 'prepaid', PREPAID);
    p.confirmed(s);
    await vi.advanceTimersByTimeAsync(60_000); // the hold ran
    p.terminated({ ...s, state: 'terminated', endedAt: Date.now() });
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(1_000_000);
    expect(ran.map((r) => r.action)).toEqual(['hold']);
    expect(p.stats()).toMatchObject({
      cancelled: 2,
      armedDialogs: 0,
      armedTimers: 0,
      pendingCalls: 0,
    });
  });

  it('a call never answered: its pending policies go with its last dialog (forks wait)', async () => {
    const p = make();
    const s = recordedDialog();
    const forkA: DialogState = { ...s, id: `${s.id}-a`, state: 'early', answeredAt: null };
    const forkB: DialogState = { ...s, id: `${s.id}-b`, state: 'early', answeredAt: null };
    await store.put(forkA);
    await store.put(forkB);
    p.routed(s.callId, 'prepaid', PREPAID);
    await store.put({ ...forkA, state: 'terminated', version: forkA.version + 1 });
    p.terminated({ ...forkA, state: 'terminated' });
    await vi.advanceTimersByTimeAsync(0);
    expect(p.stats()['pendingCalls']).toBe(1); // fork B still rings
    await store.put({ ...forkB, state: 'terminated', version: forkB.version + 1 });
    p.terminated({ ...forkB, state: 'terminated' });
    await vi.advanceTimersByTimeAsync(0);
    expect(p.stats()['pendingCalls']).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a failed action: logged, a policy event with ok false and the error; the rest still run', async () => {
    results.set('hold', { ok: false, error: 'no-sdp' });
    const p = make();
    const s = await answered();
    p.routed(s.callId, 'prepaid', PREPAID);
    p.confirmed(s);
    await vi.advanceTimersByTimeAsync(310_000);
    expect(ran.map((r) => r.action)).toEqual(['hold', 'transfer', 'end']);
    expect(events.find((e) => e.type === 'policy')!.data).toMatchObject({
      action: 'hold',
      ok: false,
      error: 'no-sdp',
    });
    expect(p.stats()['failed']).toBe(1);
  });

  it('a throwing runner never escapes the timer', async () => {
    const p = new RoutePolicies({
      store,
      events: callEvents,
      clock: systemTimerClock,
      run: () => Promise.reject(new Error('boom')),
      log,
      lookup: () => [],
      marks: null,
    });
    const s = await answered();
    p.routed(s.callId, 'r', [{ afterAnsweredSeconds: 1, action: 'end' }]);
    p.confirmed(s);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(events.at(-1)!.data).toMatchObject({ action: 'end', ok: false, error: 'boom' });
  });

  it('no routed policies: nothing pending, nothing armed', async () => {
    const p = make();
    const s = await answered();
    p.routed(s.callId, 'plain', undefined);
    p.routed(s.callId, 'plain', []);
    p.confirmed(s);
    expect(vi.getTimerCount()).toBe(0);
    expect(p.stats()).toMatchObject({ pendingCalls: 0, armedDialogs: 0 });
  });

  it('failover: the adopting core re-arms from the stored answer time — run ones skipped, overdue ones at once', async () => {
    const marks = new SharedMarks();
    const dead = make(marks);
    const s = await answered();
    dead.routed(s.callId, 'prepaid', PREPAID);
    dead.confirmed(s);
    await vi.advanceTimersByTimeAsync(60_000); // the hold ran on the dead core
    dead.close(); // it dies
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(245_000); // answered 305 s ago: the transfer is overdue
    ran = [];
    const survivor = make(marks);
    await survivor.adopted(s.id);
    expect(vi.getTimerCount()).toBe(2);
    await vi.advanceTimersByTimeAsync(0);
    expect(ran.map((r) => r.action)).toEqual(['transfer']);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(ran.map((r) => r.action)).toEqual(['transfer']);
    await vi.advanceTimersByTimeAsync(1);
    expect(ran.map((r) => [r.action, r.at - T0 - 2_000])).toEqual([
      ['transfer', 305_000],
      ['end', 310_000],
    ]);
    expect(marks.calls.get(s.callId)!.done).toEqual(new Set([0, 1, 3]));
    // the call's end forgets the marks
    survivor.terminated({ ...s, state: 'terminated' });
    await vi.advanceTimersByTimeAsync(0);
    expect(marks.calls.has(s.callId)).toBe(false);
  });

  it('adopted while still ringing: armed from the marks when answered here; other answered calls cost no lookup', async () => {
    const marks = new SharedMarks();
    const load = vi.spyOn(marks, 'load');
    const s = recordedDialog();
    const early: DialogState = { ...s, state: 'early', answeredAt: null };
    await store.put(early);
    await marks.routed(s.callId, 'prepaid', PREPAID);
    const p = make(marks);
    await p.adopted(early.id);
    expect(vi.getTimerCount()).toBe(0);
    await store.put({ ...s, version: early.version + 1 }); // the tracker commits, then reports
    p.confirmed(s);
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(3);
    expect(load).toHaveBeenCalledTimes(1);
    // a call answered on its own core without policies: no marks lookup at all
    const other: DialogState = { ...s, id: 'other', callId: 'other-call' };
    await store.put(other);
    p.confirmed(other);
    await vi.advanceTimersByTimeAsync(0);
    expect(load).toHaveBeenCalledTimes(1);
    p.close();
  });

  it('adopting twice (or a call without marks) arms nothing more', async () => {
    const marks = new SharedMarks();
    const s = await answered();
    const p = make(marks);
    await p.adopted(s.id);
    expect(vi.getTimerCount()).toBe(0);
    await marks.routed(s.callId, 'prepaid', PREPAID);
    await p.adopted(s.id);
    await p.adopted(s.id);
    expect(vi.getTimerCount()).toBe(3);
    p.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('CallControl runs route policies through its own methods', () => {
  beforeEach(() => vi.useFakeTimers({ now: T0 + 2_000 }));
  afterEach(() => vi.useRealTimers());

  it('end policy: tracker.endDialog(id, proxy, policy) — the same call as the admin end', async () => {
    const store = new MemoryDialogStore({ node: 'core-1', sweepIntervalMs: 0 });
    const s = recordedDialog();
    await store.put(s);
    let listener: ((e: DialogEvent) => void) | null = null;
    const endDialog = vi.fn((_id: string, _party?: string, _reason?: string | null) =>
      Promise.resolve(true),
    );
    const tracker = {
      onEvent: (l: (e: DialogEvent) => void) => (listener = l),
      endDialog,
    } as unknown as DialogTracker;
    const events = new CallEvents('core-1', [], log);
    const seen: CallEvent[] = [];
    events.onEvent((e) => seen.push(e));
    const control = new CallControl({
      tracker,
      store,
      events,
      actions: actionsConfigSchema.parse({}),
      features: featuresConfigSchema.parse({}),
      logger: log,
    });
    control.start();
    control.policies.routed(s.callId, 'short', [{ afterAnsweredSeconds: 1, action: 'end' }]);
    listener!({ type: 'confirmed', state: s });
    await vi.advanceTimersByTimeAsync(999);
    expect(endDialog).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(endDialog).toHaveBeenCalledWith(s.id, 'proxy', 'policy');
    expect(control.counters).toMatchObject({ ends: 1, policyEnded: 1 });
    expect(seen.map((e) => e.type)).toEqual(['answered', 'policy']);
    control.stop();
  });
});
