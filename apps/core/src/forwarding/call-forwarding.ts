/**
 * Per-user call forwarding (issue #13) for INVITEs routed to a user of ours: unconditional
 * at routing time; busy (486 or 600, `busyStatuses`), no answer (the user's contacts ring `noAnswerSeconds`,
 * their branch timer), unreachable (408/480/503, or no registration) from the proxy's
 * failure hook. A target is another user (their contacts, their own forwarding applies)
 * or an external number (least-cost routing). The forwarded INVITE carries History-Info
 * or Diversion. Loops stop: a call is never forwarded to a user already in its history
 * (482 Loop Detected) nor more than `maxHops` times (483 Too Many Hops).
 *
 * 600 Busy Everywhere: RFC 3261 §16.7 item 5 says a proxy "MUST NOT create any new branches"
 * after a 6xx. Forwarding on busy is the callee's own instruction for calls it declines as
 * busy, and §21.6.1 defines 600 as exactly that ("the callee is busy"), so by default a 600
 * forwards like a 486: the proxy runs the failure hook after a 6xx for forwarding only, and
 * the forward replaces the 600 as the call's answer. `busyStatuses: [486]` keeps to §16.7.
 */
import { isSipUri, isTelUri, parseUri, type SipRequest } from '@strata/parser';
import type { FailureContext, ProxyTarget } from '@strata/transaction';
import type { Logger } from 'pino';
import type { LcrOutcome, LcrRouter } from '../lcr/lcr-router.js';
import { RecentCalls } from '../lcr/recent-calls.js';
import { canonicalAor, lookupAor } from '../registrar/aor.js';
import type { ForwardingConfig, ForwardingSettings } from './forwarding-config.js';
import { CallHistory, type DiversionReason } from './history.js';
import type { ForwardingStore } from './settings-store.js';

export interface ForwardingDeps {
  store: ForwardingStore;
  /** a user's registered contacts as branches */
  contacts: (aor: string) => Promise<ProxyTarget[]>;
  lcr: LcrRouter | null;
  logger: Logger;
  now?: () => number;
}

interface Ringing {
  aor: string;
  settings: ForwardingSettings;
  history: CallHistory;
  startedAt: number;
  /** responses of the context before this user's contacts rang (an earlier forward's) */
  earlier: number;
}

type Target = { kind: 'user'; aor: string } | { kind: 'number'; number: string };

/** Timer C fires at the branch timeout; allow for timer granularity. */
const TIMER_SLACK_MS = 50;

export class CallForwarding {
  private readonly ringing = new WeakMap<SipRequest, Ringing>();
  /** forwarded calls' histories by Call-ID, for their CDR */
  private readonly forwarded: RecentCalls<CallHistory>;
  readonly counters = { forwarded: 0, loops: 0, tooManyHops: 0 };

  constructor(
    private config: ForwardingConfig,
    private readonly deps: ForwardingDeps,
  ) {
    this.forwarded = new RecentCalls(deps.now);
  }

  configure(config: ForwardingConfig): void {
    this.config = config;
  }

  /** Route an INVITE for the Request-URI's user: their contacts, or where they forward to. */
  async route(req: SipRequest): Promise<LcrOutcome> {
    let aor: string | null;
    try {
      aor = lookupAor(req.requestUri);
    } catch {
      aor = null;
    }
    if (aor === null) return { targets: [] };
    return this.resolve(req, aor, new CallHistory(req, aor), 0);
  }

  owns(req: SipRequest): boolean {
    return this.ringing.has(req);
  }

  /** The call ended (dialog layer): its history is kept a minute more for the CDR. */
  callEnded(callId: string): void {
    this.forwarded.end(callId);
  }

  /** CDR fields of a forwarded call: each diversion (from, to, reason). */
  cdrFields(callId: string): Record<string, unknown> | undefined {
    const h = this.forwarded.get(callId);
    return h === undefined ? undefined : { forwarding: { diversions: h.diversions } };
  }

  /** The failure hook: the user's contacts all failed; forward if their settings say so. */
  async onFailure(ctx: FailureContext): Promise<void> {
    const r = this.ringing.get(ctx.request);
    if (r === undefined) return;
    this.ringing.delete(ctx.request);
    const reason = this.classify(ctx, r);
    const to = reason === null ? undefined : r.settings[reason];
    if (reason === null || to === undefined) return;
    const outcome = await this.divert(
      ctx.request,
      r.aor,
      to,
      reason,
      r.history,
      ctx.responses.length,
    );
    // a refused diversion (loop, hops) leaves the user's own answer (e.g. 486) standing
    if ('targets' in outcome) ctx.addTargets(outcome.targets);
  }

  private classify(ctx: FailureContext, r: Ringing): DiversionReason | null {
    // only this user's contacts' answers: a 486 of the user who forwarded here is not ours
    const statuses = ctx.responses.slice(r.earlier).map((x) => x.status);
    if (statuses.some((s) => (this.config.busyStatuses as readonly number[]).includes(s)))
      return 'busy';
    if (ctx.after6xx) return null; // a 6xx other than a busy one: the call ends (§16.7 item 5)
    const elapsed = (this.deps.now ?? Date.now)() - r.startedAt;
    if (
      r.settings.noAnswer !== undefined &&
      statuses.includes(408) &&
      elapsed >= r.settings.noAnswerSeconds * 1000 - TIMER_SLACK_MS
    )
      return 'noAnswer';
    if (statuses.some((s) => s === 408 || s === 480 || s === 503)) return 'unreachable';
    return null;
  }

  private async resolve(
    req: SipRequest,
    aor: string,
    history: CallHistory,
    earlier: number,
  ): Promise<LcrOutcome> {
    let settings: ForwardingSettings | null;
    try {
      settings = await this.deps.store.get(aor);
    } catch (err) {
      this.deps.logger.warn({ err, aor }, 'forwarding settings unavailable: not forwarding');
      settings = null;
    }
    if (settings?.unconditional !== undefined)
      return this.divert(req, aor, settings.unconditional, 'unconditional', history, earlier);
    const contacts = await this.deps.contacts(aor);
    if (contacts.length === 0) {
      if (settings?.unreachable !== undefined)
        return this.divert(req, aor, settings.unreachable, 'unreachable', history, earlier);
      return { targets: [] };
    }
    const extra = history.headers(this.config.header);
    const timeout = settings?.noAnswer !== undefined ? settings.noAnswerSeconds * 1000 : undefined;
    const targets = contacts.map((t) => ({
      ...t,
      ...(timeout !== undefined ? { timeout } : {}),
      ...(extra.length > 0 ? { headers: [...(t.headers ?? []), ...extra] } : {}),
    }));
    if (
      settings !== null &&
      (settings.busy !== undefined ||
        settings.noAnswer !== undefined ||
        settings.unreachable !== undefined)
    )
      this.ringing.set(req, {
        aor,
        settings,
        history,
        startedAt: (this.deps.now ?? Date.now)(),
        earlier,
      });
    return { targets };
  }

  private async divert(
    req: SipRequest,
    from: string,
    to: string,
    reason: DiversionReason,
    history: CallHistory,
    earlier: number,
  ): Promise<LcrOutcome> {
    const target = targetOf(to, from);
    if (target === null) {
      this.deps.logger.warn({ from, to }, 'forwarding target not understood');
      return { targets: [] };
    }
    if (history.hops >= this.config.maxHops) {
      this.counters.tooManyHops++;
      return { reply: { status: 483, reason: 'Too Many Hops' } };
    }
    if (target.kind === 'user' && history.aors.has(target.aor)) {
      this.counters.loops++;
      return { reply: { status: 482, reason: 'Loop Detected' } };
    }
    this.counters.forwarded++;
    this.deps.logger.info({ callId: req.callId, from, to, reason }, 'call forwarded');
    this.forwarded.set(req.callId, history);
    if (target.kind === 'user') {
      history.divert(from, target.aor, reason);
      return this.resolve(req, target.aor, history, earlier);
    }
    history.divert(from, `tel:+${target.number.replace(/^\+/, '')}`, reason);
    if (this.deps.lcr === null) return { reply: { status: 404, reason: 'No Route' } };
    return this.deps.lcr.route(req, this.config.lcrTable, {
      dialled: target.number,
      headers: history.headers(this.config.header),
    });
  }
}

/** "+44 20…" / "tel:…" → a number; "sip:bob@host" → that AoR; "bob" → bob at the caller's domain. */
export function targetOf(to: string, fromAor: string): Target | null {
  const t = to.trim();
  if (/^\+?[\d\-.() ]+$/.test(t)) return { kind: 'number', number: t.replace(/[-.() ]/g, '') };
  if (/^(sips?|tel):/i.test(t)) {
    try {
      const uri = parseUri(t);
      if (isTelUri(uri)) return { kind: 'number', number: uri.number.replace(/[-.()]/g, '') };
      if (!isSipUri(uri)) return null;
      const aor = canonicalAor(uri);
      return aor === null ? null : { kind: 'user', aor };
    } catch {
      return null;
    }
  }
  if (!/^[\w.!~*'()&=+$,;?/-]+$/.test(t)) return null;
  const domain = fromAor.slice(fromAor.indexOf('@') + 1);
  return { kind: 'user', aor: `sip:${t}@${domain}` };
}
