import type { DialogState } from './dialog-state.js';

export type HoldState = 'none' | 'caller' | 'callee' | 'both';

/** Which sides have put the call on hold (derived, so it can never disagree with the sides). */
export function holdState(s: DialogState): HoldState {
  if (s.caller.onHold) return s.callee.onHold ? 'both' : 'caller';
  return s.callee.onHold ? 'callee' : 'none';
}
