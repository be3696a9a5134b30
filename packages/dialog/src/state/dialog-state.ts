/**
 * Dialog state as plain, JSON-safe data (ARCHITECTURE.md §2: "Dialog state is plain
 * serialisable data … kept apart from behaviour, so Redis stores it as is").
 *
 * Every field is always present (null when unknown) so objects keep one fixed shape
 * (ARCHITECTURE.md §3.6) and `JSON.parse(JSON.stringify(s))` round-trips exactly.
 * Fields are readonly: a change is a new object with `version + 1`.
 */

/** RFC 3261 §12: a dialog is early after a 1xx with a To tag, confirmed after a 2xx. */
export type DialogPhase = 'early' | 'confirmed' | 'terminated';

export type TransportProtocol = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** Where a side's messages really came from (after NAT), used to reach it again. */
export interface SourceAddress {
  readonly host: string;
  readonly port: number;
  readonly transport: TransportProtocol;
}

/** What the proxy remembers about one party so the core can originate requests to it (§5). */
export interface DialogSide {
  /** From URI (caller) or To URI (callee). */
  readonly uri: string;
  /** Remote target: this side's Contact URI (RFC 3261 §12.1), null until seen. */
  readonly contact: string | null;
  /** Last CSeq number seen in a request from this side (0 = none yet). */
  readonly cseq: number;
  /**
   * The route set as this side's UA holds it (RFC 3261 §12.1.1: the UAS takes the
   * Record-Route values "in order"; §12.1.2: the UAC takes them "in reverse order").
   */
  readonly routeSet: readonly string[];
  /** Transport source address for NAT traversal, null until a message arrived. */
  readonly source: SourceAddress | null;
  /** This side put the call on hold (offered sendonly/inactive). */
  readonly onHold: boolean;
  /** Consecutive failed in-dialog OPTIONS keep-alives towards this side. */
  readonly keepaliveFailures: number;
}

/** RFC 4028 §9: the refresher is "uac" or "uas". */
export type Refresher = 'uac' | 'uas';

export interface SessionTimer {
  /** Session-Expires delta-seconds negotiated (RFC 4028 §4). */
  readonly expiresSec: number;
  readonly refresher: Refresher;
}

/** Due times (epoch ms) of the dialog's timers; null = not armed. */
export interface DialogTimers {
  readonly keepaliveDueAt: number | null;
  readonly sessionExpiresAt: number | null;
  readonly maxDurationAt: number | null;
  readonly earlyTimeoutAt: number | null;
}

/** Links to other dialogs created by REFER (RFC 3515) or Replaces (RFC 3891). */
export interface TransferLinks {
  /** Referred-By (RFC 3892) of the INVITE that created this dialog, if any. */
  readonly referredBy: string | null;
  /** Id of the dialog this one replaced (its INVITE carried Replaces, RFC 3891 §3). */
  readonly replaces: string | null;
  /** Id of the dialog that replaced this one (the other end of `replaces`). */
  readonly replacedBy: string | null;
  /** Refer-To URI of the last REFER sent inside this dialog (RFC 3515 §2.1). */
  readonly referTo: string | null;
  /**
   * Progress of that REFER: the final status of the REFER itself when it failed, else the
   * status line of the last message/sipfrag NOTIFY (RFC 3515 §2.4.5: 100, 180, 200, 503 …).
   */
  readonly referStatus: number | null;
}

/** Who or what ended the call; recorded in the CDR. */
export type HangupParty =
  | 'caller'
  | 'callee'
  | 'proxy'
  | 'proxy-timeout'
  | 'keepalive-failed'
  | 'session-expired'
  | 'max-duration'
  | 'transfer';

/** Disposition data the CDR needs. */
export interface DialogDisposition {
  /** Final response status of the INVITE (200, 486, 487 …), null while none. */
  readonly finalStatus: number | null;
  readonly hangupParty: HangupParty | null;
  /** Free text (e.g. Reason header), null when none. */
  readonly reason: string | null;
}

export interface DialogState {
  /** `dialogId(callId, fromTag, toTag)`. */
  readonly id: string;
  readonly callId: string;
  readonly fromTag: string;
  /** Null while no response carried a To tag yet. */
  readonly toTag: string | null;
  readonly state: DialogPhase;
  readonly caller: DialogSide;
  readonly callee: DialogSide;
  /** Epoch ms. */
  readonly createdAt: number;
  readonly answeredAt: number | null;
  readonly endedAt: number | null;
  /** Core node currently responsible for the dialog. */
  readonly ownerNode: string;
  /** Monotonic; every write carries it and a stale write never overwrites a newer one. */
  readonly version: number;
  readonly timers: DialogTimers;
  readonly sessionTimer: SessionTimer | null;
  readonly transfer: TransferLinks;
  readonly disposition: DialogDisposition;
  /**
   * Call-profile keys this call counts in (ARCHITECTURE §2, issue #5 "Profiles"), stored so
   * whichever node ends the call (after a takeover too) releases them.
   */
  readonly profileKeys: readonly string[];
}
