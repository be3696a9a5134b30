/**
 * A recorded dialog: the DialogState the core kept for a real call (sipp caller → edge →
 * core → sipp callee on loopback; edge 127.0.0.1:5060, core 127.0.0.1:5070), used by the
 * unit tests of core-originated requests and call events.
 */
import { createDialogState, type DialogState } from '@strata/dialog';

export const T0 = 1_764_000_000_000;

export interface FixturePorts {
  readonly edge: number;
  readonly core: number;
  readonly caller: number;
  readonly callee: number;
}

const DEFAULT_PORTS: FixturePorts = { edge: 5060, core: 5070, caller: 6001, callee: 6002 };

export function recordedDialog(p: FixturePorts = DEFAULT_PORTS): DialogState {
  const early = createDialogState({
    callId: '1-4242@127.0.0.1',
    fromTag: '4242SIPpTag001',
    toTag: '4243SIPpTag011',
    callerUri: `sip:sipp@127.0.0.1:${p.caller}`,
    calleeUri: `sip:bob@127.0.0.1:${p.edge}`,
    callerContact: `sip:sipp@127.0.0.1:${p.caller};transport=UDP`,
    callerCseq: 1,
    callerSource: { host: '127.0.0.1', port: p.edge, transport: 'udp' },
    ownerNode: 'core-1',
    now: T0,
    earlyTimeoutAt: T0 + 180_000,
  });
  // the Record-Route of the INVITE as the callee saw it: core (last added) first, then edge
  const rr = [
    `<sip:127.0.0.1:${p.core};transport=udp;lr>`,
    `<sip:127.0.0.1:${p.edge};transport=udp;lr;ftag=x>`,
  ];
  return {
    ...early,
    state: 'confirmed',
    version: early.version + 1,
    answeredAt: T0 + 2_000,
    caller: { ...early.caller, cseq: 1, routeSet: [...rr].reverse() },
    callee: {
      ...early.callee,
      contact: `sip:127.0.0.1:${p.callee};transport=UDP`,
      cseq: 0,
      routeSet: rr,
      source: { host: '127.0.0.1', port: p.callee, transport: 'udp' },
    },
  };
}
