import type { DialogSideName } from '../sip/side.js';

/** What the core should do with a request it fed to the tracker. */
export type RequestVerdict =
  /**
   * Forward it. `dialogId` null: no dialog matched (ACK/BYE of an unknown or ended dialog,
   * a request outside dialogs): the core relays it transaction-statefully or answers 481.
   */
  | {
      readonly action: 'relay';
      readonly dialogId: string | null;
      readonly from: DialogSideName | null;
    }
  /**
   * Answer it with `status` instead: 500 for an out-of-order CSeq (RFC 3261 §12.2.2),
   * 486/503 for a new INVITE over a call-profile limit.
   */
  | {
      readonly action: 'reject';
      readonly status: number;
      readonly reason: 'out-of-order' | 'profile-limit';
      readonly dialogId: string | null;
    };
