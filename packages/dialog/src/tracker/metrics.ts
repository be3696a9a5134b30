import type { DialogPhase, HangupParty } from '../state/dialog-state.js';

/** Plain numbers for dashboards (issue #5). Counts are of dialogs this node owns. */
export interface DialogMetrics {
  /** Dialogs (early + confirmed) this node tracks; an INVITE without a tagged response counts as one early dialog. */
  readonly active: number;
  readonly early: number;
  readonly confirmed: number;
  /** Ended calls by hangup party / reason. */
  readonly terminated: Readonly<Partial<Record<HangupParty, number>>>;
  /** Keep-alive OPTIONS sent, and those that failed (408, 481, timeout, transport error). */
  readonly keepalivesSent: number;
  readonly keepaliveFailures: number;
  /** In-dialog requests with a CSeq lower than the last one (answered 500). */
  readonly outOfOrder: number;
  /** Calls refused by a call-profile limit. */
  readonly profileRejections: number;
  /** Writes the store rejected because another node wrote a newer version. */
  readonly staleWrites: number;
  readonly adopted: number;
  /** Dialogs dropped because another node holds the lease. */
  readonly leasesLost: number;
}

/** The mutable counters behind `DialogMetrics`; one fixed shape. */
export class MetricsCounters {
  readonly phases = new Map<string, DialogPhase>();
  readonly terminated: Partial<Record<HangupParty, number>> = {};
  keepalivesSent = 0;
  keepaliveFailures = 0;
  outOfOrder = 0;
  profileRejections = 0;
  staleWrites = 0;
  adopted = 0;
  leasesLost = 0;

  ended(party: HangupParty): void {
    this.terminated[party] = (this.terminated[party] ?? 0) + 1;
  }

  snapshot(): DialogMetrics {
    let early = 0;
    let confirmed = 0;
    for (const p of this.phases.values()) {
      if (p === 'early') early++;
      else if (p === 'confirmed') confirmed++;
    }
    return {
      active: early + confirmed,
      early,
      confirmed,
      terminated: { ...this.terminated },
      keepalivesSent: this.keepalivesSent,
      keepaliveFailures: this.keepaliveFailures,
      outOfOrder: this.outOfOrder,
      profileRejections: this.profileRejections,
      staleWrites: this.staleWrites,
      adopted: this.adopted,
      leasesLost: this.leasesLost,
    };
  }
}
