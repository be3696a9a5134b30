import { createDialogState } from '../../src/state/create-dialog-state.js';
import type { DialogState } from '../../src/state/dialog-state.js';

export class FakeClock {
  constructor(public t = 1_700_000_000_000) {}
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export function earlyDialog(n: number, now: number, node = 'core-a'): DialogState {
  return createDialogState({
    callId: `call-${n}@10.0.0.1`,
    fromTag: `ft${n}`,
    toTag: `tt${n}`,
    callerUri: `sip:alice${n}@example.com`,
    calleeUri: `sip:bob${n}@example.net`,
    callerContact: `sip:alice${n}@192.0.2.10:5060`,
    callerCseq: 1,
    callerSource: { host: '192.0.2.10', port: 5060, transport: 'udp' },
    ownerNode: node,
    now,
    earlyTimeoutAt: now + 180_000,
  });
}

/** The early dialog after the 200 OK: one version later. */
export function confirm(s: DialogState, now: number): DialogState {
  return {
    ...s,
    state: 'confirmed',
    version: s.version + 1,
    answeredAt: now,
    callee: {
      ...s.callee,
      contact: 'sip:bob@198.51.100.7:5060',
      cseq: 0,
      routeSet: ['<sip:core-a.example.com;lr>', '<sip:edge-1.example.com;lr>'],
      source: { host: '198.51.100.7', port: 5060, transport: 'tcp' },
    },
    caller: {
      ...s.caller,
      routeSet: ['<sip:edge-1.example.com;lr>', '<sip:core-a.example.com;lr>'],
    },
    timers: { ...s.timers, keepaliveDueAt: now + 30_000, earlyTimeoutAt: null },
    disposition: { ...s.disposition, finalStatus: 200 },
  };
}

export function bump(s: DialogState, patch: Partial<DialogState> = {}): DialogState {
  return { ...s, ...patch, version: s.version + 1 };
}
