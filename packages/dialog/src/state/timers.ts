import type { DialogState } from './dialog-state.js';

/**
 * Earliest armed timer (epoch ms), or null when none is armed or the dialog has ended.
 * The early timeout only counts while the dialog is still early.
 */
export function nextDueAt(s: DialogState): number | null {
  if (s.state === 'terminated') return null;
  const t = s.timers;
  let due: number | null = null;
  const consider = (at: number | null): void => {
    if (at !== null && (due === null || at < due)) due = at;
  };
  consider(t.keepaliveDueAt);
  consider(t.sessionExpiresAt);
  consider(t.maxDurationAt);
  if (s.state === 'early') consider(t.earlyTimeoutAt);
  return due;
}

/**
 * How long the stored state stays meaningful (ms), used for store TTLs.
 * Until the next timer fires the state cannot change on its own; when it fires the owner
 * either ends the dialog or writes a new version (which extends the TTL). A dialog with no
 * timer armed gets `fallbackMs` so nothing lives forever (zombie dialogs, §6).
 */
export function lifetimeRemaining(s: DialogState, now: number, fallbackMs: number): number {
  if (s.state === 'terminated') return 0;
  const due = nextDueAt(s);
  if (due === null) return fallbackMs;
  return Math.max(0, due - now);
}
