import type { DialogState } from '../state/dialog-state.js';
import type { DialogFilter } from './dialog-store.js';

export function matchesFilter(s: DialogState, f: DialogFilter): boolean {
  return (
    (f.ownerNode === undefined || s.ownerNode === f.ownerNode) &&
    (f.state === undefined || s.state === f.state) &&
    (f.callId === undefined || s.callId === f.callId)
  );
}
