import type { DialogSideName } from '../sip/side.js';
import type { DialogState, HangupParty } from '../state/dialog-state.js';

/**
 * What the tracker tells the core (and call-event publishers, #12/#13). `terminated` with
 * `wasEarly` and a proxy party (early timeout, max duration) means the core should CANCEL
 * its pending branches and answer the caller (408/480): a proxy cannot BYE an early dialog
 * it is still forwarding the INVITE of.
 */
export type DialogEvent =
  /** An initial INVITE was accepted for tracking (no response yet: `toTag` is null). */
  | { readonly type: 'created'; readonly state: DialogState }
  | { readonly type: 'early'; readonly state: DialogState }
  | { readonly type: 'confirmed'; readonly state: DialogState }
  | {
      readonly type: 'hold';
      readonly state: DialogState;
      readonly side: DialogSideName;
      readonly onHold: boolean;
    }
  | {
      readonly type: 'refer';
      readonly state: DialogState;
      readonly referTo: string | null;
      readonly status: number | null;
    }
  | {
      readonly type: 'terminated';
      readonly state: DialogState;
      readonly party: HangupParty;
      readonly wasEarly: boolean;
    };

export type DialogEventListener = (event: DialogEvent) => void;
