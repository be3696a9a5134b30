/** Plain counters; the metrics exporter (#9) reads them. */
export class EdgeStats {
  requestsIn = 0;
  responsesIn = 0;
  requestsForwarded = 0;
  responsesForwarded = 0;
  repliedLocally = 0;
  /** dropped by reason: rate-limit, scanner, foreign-via, no-route … */
  readonly dropped = new Map<string, number>();
  readonly rejected = new Map<number, number>();
  sendErrors = 0;

  drop(reason: string): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
  }

  reject(status: number): void {
    this.rejected.set(status, (this.rejected.get(status) ?? 0) + 1);
  }

  snapshot(): ForwarderCounters {
    return {
      requestsIn: this.requestsIn,
      responsesIn: this.responsesIn,
      requestsForwarded: this.requestsForwarded,
      responsesForwarded: this.responsesForwarded,
      repliedLocally: this.repliedLocally,
      sendErrors: this.sendErrors,
      dropped: Object.fromEntries(this.dropped),
      rejected: Object.fromEntries(this.rejected),
    };
  }
}

export interface ForwarderCounters {
  requestsIn: number;
  responsesIn: number;
  requestsForwarded: number;
  responsesForwarded: number;
  repliedLocally: number;
  sendErrors: number;
  /** reason → count */
  dropped: Record<string, number>;
  /** status → count of local replies */
  rejected: Record<string, number>;
}
