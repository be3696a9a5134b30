/**
 * The diversion history of a call, read from and written to the INVITE: History-Info
 * (RFC 7044) or Diversion (RFC 5806). Reading accepts both, so a call forwarded
 * elsewhere keeps its history here; writing uses the configured one.
 *
 * History-Info: the first target is entry `index=1`; a diversion adds an entry one
 * level deeper (`1.1`, `1.1.1`, …) for the new AoR with `mp=<parent index>` ("mapped to a
 * new AOR", RFC 7044 §4.2.1) and the RFC 4458 `cause` URI parameter naming why.
 * Diversion: one entry per diversion naming the diverting user, its `reason` and
 * `counter` (RFC 5806 §3).
 */
import { parseNameAddr, type SipRequest } from '@strata/parser';
import { canonicalAor } from '../registrar/aor.js';

export type DiversionReason = 'unconditional' | 'busy' | 'noAnswer' | 'unreachable';

/** RFC 4458 §2 cause values. */
const CAUSE: Record<DiversionReason, number> = {
  unconditional: 302,
  busy: 486,
  noAnswer: 408,
  unreachable: 503,
};

/** RFC 5806 §3 reason values. */
const DIVERSION_REASON: Record<DiversionReason, string> = {
  unconditional: 'unconditional',
  busy: 'user-busy',
  noAnswer: 'no-answer',
  unreachable: 'unavailable',
};

export interface Diversion {
  from: string;
  to: string;
  reason: DiversionReason;
}

export class CallHistory {
  /** AoRs the call was already addressed to */
  readonly aors = new Set<string>();
  /** diversions before this proxy saw the call */
  private readonly priorHops: number;
  /** History-Info index of the current target, null when the request carried none */
  private readonly priorIndex: string | null;
  /** diversions made here, in order */
  readonly diversions: Diversion[] = [];

  constructor(req: SipRequest, target: string) {
    let hops = 0;
    let index: string | null = null;
    for (const v of req.headers.values('history-info')) {
      try {
        const na = parseNameAddr(v);
        const aor = canonicalAor(na.uri);
        if (aor !== null) this.aors.add(aor);
        const i = na.params.get('index');
        if (i != null) index = i;
        if (/[;?]cause=/i.test(v)) hops++;
      } catch {
        // a malformed entry carries no history
      }
    }
    for (const v of req.headers.values('diversion')) {
      try {
        const na = parseNameAddr(v);
        const aor = canonicalAor(na.uri);
        if (aor !== null) this.aors.add(aor);
        hops += Math.max(1, Number(na.params.get('counter') ?? 1) || 1);
      } catch {
        // ignored as above
      }
    }
    this.aors.add(target);
    this.priorHops = hops;
    this.priorIndex = index;
  }

  get hops(): number {
    return this.priorHops + this.diversions.length;
  }

  divert(from: string, to: string, reason: DiversionReason): void {
    this.diversions.push({ from, to, reason });
    this.aors.add(to);
  }

  /** The headers to add to the forwarded INVITE for the diversions made here. */
  headers(kind: 'history-info' | 'diversion'): [string, string][] {
    if (this.diversions.length === 0) return [];
    if (kind === 'diversion') {
      // most recent first (RFC 5806 §3: new entries go on top)
      const entries = [...this.diversions]
        .reverse()
        .map((d) => `<${d.from}>;reason=${DIVERSION_REASON[d.reason]};counter=1;privacy=off`);
      return [['Diversion', entries.join(', ')]];
    }
    const entries: string[] = [];
    let index = this.priorIndex;
    if (index === null) {
      index = '1';
      entries.push(`<${this.diversions[0]!.from}>;index=1`);
    }
    for (const d of this.diversions) {
      const child: string = `${index}.1`;
      entries.push(`<${d.to};cause=${CAUSE[d.reason]}>;index=${child};mp=${index}`);
      index = child;
    }
    return [['History-Info', entries.join(', ')]];
  }
}
