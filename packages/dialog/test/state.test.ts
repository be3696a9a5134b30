import { describe, expect, it } from 'vitest';
import { freezeDialogState } from '../src/state/clone-dialog-state.js';
import { dialogId } from '../src/state/dialog-id.js';
import { holdState } from '../src/state/hold-state.js';
import { lifetimeRemaining, nextDueAt } from '../src/state/timers.js';
import { escapeTag, RedisKeys, unescapeTag } from '../src/store/redis-keys.js';
import { bump, confirm, earlyDialog } from './support/fixtures.js';

const T0 = 1_700_000_000_000;

describe('dialog state', () => {
  it('builds the id from Call-ID and both tags; early attempts have an empty To tag', () => {
    expect(dialogId('a:b@h', 'f1', 't1')).toBe('a:b@h:f1:t1');
    expect(dialogId('c@h', 'f1', null)).toBe('c@h:f1:');
  });

  it('round-trips through JSON unchanged (plain data)', () => {
    const s = confirm(earlyDialog(1, T0), T0 + 5_000);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it('freezes a deep copy that does not share mutable parts with the input', () => {
    const s = confirm(earlyDialog(1, T0), T0);
    const routes = [...s.callee.routeSet];
    const f = freezeDialogState({ ...s, callee: { ...s.callee, routeSet: routes } });
    routes.push('<sip:evil>');
    expect(f.callee.routeSet).toHaveLength(2);
    expect(Object.isFrozen(f.callee.routeSet)).toBe(true);
    expect(f).toEqual(s);
  });

  it('nextDueAt is the earliest armed timer; the early timeout counts only while early', () => {
    const early = earlyDialog(1, T0);
    expect(nextDueAt(early)).toBe(T0 + 180_000);
    const conf = confirm(early, T0);
    const s = bump(conf, {
      timers: { ...conf.timers, earlyTimeoutAt: T0 + 1, maxDurationAt: T0 + 10_000 },
    });
    expect(nextDueAt(s)).toBe(T0 + 10_000);
    expect(nextDueAt(bump(s, { state: 'terminated' }))).toBeNull();
  });

  it('lifetimeRemaining: until the next timer, fallback without timers, 0 once terminated', () => {
    const early = earlyDialog(1, T0);
    expect(lifetimeRemaining(early, T0 + 80_000, 999)).toBe(100_000);
    expect(lifetimeRemaining(early, T0 + 500_000, 999)).toBe(0);
    const bare = bump(early, { timers: { ...early.timers, earlyTimeoutAt: null } });
    expect(lifetimeRemaining(bare, T0, 999)).toBe(999);
    expect(lifetimeRemaining(bump(early, { state: 'terminated' }), T0, 999)).toBe(0);
  });

  it('derives the hold state from the sides', () => {
    const s = confirm(earlyDialog(1, T0), T0);
    expect(holdState(s)).toBe('none');
    expect(holdState(bump(s, { caller: { ...s.caller, onHold: true } }))).toBe('caller');
    expect(
      holdState(
        bump(s, { caller: { ...s.caller, onHold: true }, callee: { ...s.callee, onHold: true } }),
      ),
    ).toBe('both');
  });

  it('escapes braces so every key of a dialog keeps one hash tag', () => {
    const id = dialogId('x}{%y@h', 'f', 't');
    expect(unescapeTag(escapeTag(id))).toBe(id);
    const keys = new RedisKeys('strata:');
    const tag = (k: string): string => k.slice(k.indexOf('{') + 1, k.indexOf('}'));
    expect(tag(keys.dialog(id))).toBe(tag(keys.lease(id)));
    expect(tag(keys.dialog(id))).toBe(escapeTag(id));
    expect(keys.idFromDialogKey(keys.dialog(id))).toBe(id);
  });
});
