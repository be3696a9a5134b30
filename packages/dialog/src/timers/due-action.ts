import type { DialogState, HangupParty } from '../state/dialog-state.js';

/** What a dialog's timer has to do now (pure; the earliest-ending reason wins). */
export type DueAction =
  | { readonly kind: 'end'; readonly party: HangupParty; readonly reason: string }
  | { readonly kind: 'keepalive' }
  | { readonly kind: 'none' };

export function dueAction(s: DialogState, now: number): DueAction {
  const t = s.timers;
  if (s.state === 'terminated') return { kind: 'none' };
  if (s.state === 'early' && t.earlyTimeoutAt !== null && t.earlyTimeoutAt <= now)
    return { kind: 'end', party: 'proxy-timeout', reason: 'early dialog timeout' };
  if (t.maxDurationAt !== null && t.maxDurationAt <= now)
    return { kind: 'end', party: 'max-duration', reason: 'max call duration reached' };
  // RFC 4028 §10: no session refresh arrived before the session expired.
  if (s.state === 'confirmed' && t.sessionExpiresAt !== null && t.sessionExpiresAt <= now)
    return { kind: 'end', party: 'session-expired', reason: 'session timer expired (RFC 4028)' };
  if (s.state === 'confirmed' && t.keepaliveDueAt !== null && t.keepaliveDueAt <= now)
    return { kind: 'keepalive' };
  return { kind: 'none' };
}
