/**
 * Least-cost routing of one call (issue #13): the dialled number is normalised, the rate
 * table's longest prefix gives the carriers cheapest first (equal costs: weighted
 * shuffle), and the call tries them one at a time through the proxy's failure hook
 * (serial forking, RFC 3261 §16.6/§16.7): a carrier that is down, at its concurrent-call
 * or call-rate limit is skipped; a 5xx, 408 or timeout moves on to the carrier's next
 * gateway, then the next carrier; other 4xx and 6xx end the call (§16.7 item 5: no new
 * branch after a 6xx); a 401/407 is answered once per gateway with the carrier's
 * credentials (§22.2). Each call keeps its own plan, so a reload changes only new calls.
 */
import { isSipUri, isTelUri, unescapeUriPart, type SipRequest } from '@strata/parser';
import type { FailureContext, ProxyTarget } from '@strata/transaction';
import type { Logger } from 'pino';
import { destinationOf } from '../routing/resolve.js';
import type { Carriers, Unavailable } from './carriers.js';
import type { LcrConfig } from './lcr-config.js';
import { NumberNormaliser } from './normalise.js';
import { answerChallenge } from './outbound-auth.js';
import type { CarrierCost } from './rate-table.js';
import type { RateTables } from './rate-tables.js';
import { RecentCalls } from './recent-calls.js';

export interface LcrAttempt {
  carrier: string;
  cost: number;
  /** the gateway tried; absent when the carrier was skipped */
  gateway?: string;
  /** its final status (408: timeout; 200: answered), null while pending or cancelled */
  status?: number | null;
  skipped?: Unavailable;
  /** this attempt carried digest credentials */
  auth?: boolean;
}

interface LcrCall {
  callId: string;
  number: string;
  prefix: string;
  /** carriers not tried yet, in order */
  queue: CarrierCost[];
  current: { carrier: CarrierCost; gateways: string[]; authed: boolean } | null;
  attempts: LcrAttempt[];
  /** the carrier this call counts on now */
  holding: string | null;
  /** added to every attempt (a forwarded call's History-Info/Diversion) */
  headers: [string, string][];
  /** dialog mode: counted on carriers, kept for the CDR */
  tracked: boolean;
}

export type LcrOutcome = { targets: ProxyTarget[] } | { reply: { status: number; reason: string } };

export class LcrRouter {
  private normaliser: NumberNormaliser;
  private failoverOn: ReadonlySet<number>;
  private readonly byRequest = new WeakMap<SipRequest, LcrCall>();
  /** calls by Call-ID, kept a minute after they end for their CDR */
  private readonly byCallId: RecentCalls<LcrCall>;
  readonly counters = { calls: 0, noRoute: 0, badNumber: 0, failovers: 0, skipped: 0, auth: 0 };

  constructor(
    config: LcrConfig,
    readonly carriers: Carriers,
    readonly tables: RateTables,
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
    now: () => number = Date.now,
  ) {
    this.byCallId = new RecentCalls(now);
    this.normaliser = new NumberNormaliser(config.normalise);
    this.failoverOn = new Set(config.failoverOn);
  }

  /** New normalisation and failover rules (a reload); calls in progress keep their plans. */
  configure(config: LcrConfig): void {
    this.normaliser = new NumberNormaliser(config.normalise);
    this.failoverOn = new Set(config.failoverOn);
  }

  /** The Request-URI's user part (sip:) or number (tel:), or null. */
  static dialled(req: SipRequest): string | null {
    try {
      const uri = req.requestUri;
      if (isSipUri(uri)) return uri.user === null ? null : unescapeUriPart(uri.user);
      if (isTelUri(uri)) return uri.number;
    } catch {
      // unparsable Request-URI: no number
    }
    return null;
  }

  /** Ordered carriers for a dialled number (the admin API's lookup, and route()). */
  plan(
    dialled: string,
    tableName: string,
  ): { number: string; prefix: string; routes: CarrierCost[] } | null {
    const number = this.normaliser.normalise(dialled);
    if (number === null) return null;
    const match = this.tables.get(tableName)?.lookup(number) ?? null;
    if (match === null) return { number, prefix: '', routes: [] };
    return { number, prefix: match.prefix, routes: this.shuffleEqualCosts(match.routes) };
  }

  /** The first attempt of a call to `dialled` (default: the Request-URI's number). */
  async route(
    req: SipRequest,
    tableName: string,
    options: {
      /** default: the Request-URI's number */
      dialled?: string;
      /** added to every attempt */
      headers?: [string, string][];
      /**
       * false: a transaction-mode route, whose end the dialog layer never reports — the
       * call is not counted on carriers (no concurrent limit) and not kept for a CDR
       */
      tracked?: boolean;
    } = {},
  ): Promise<LcrOutcome> {
    const d = options.dialled ?? LcrRouter.dialled(req);
    const p = d === null ? null : this.plan(d, tableName);
    if (p === null) {
      this.counters.badNumber++;
      return { reply: { status: 484, reason: 'Address Incomplete' } };
    }
    if (p.routes.length === 0) {
      this.counters.noRoute++;
      return { reply: { status: 404, reason: 'No Route' } };
    }
    this.counters.calls++;
    const call: LcrCall = {
      callId: req.callId,
      number: p.number,
      prefix: p.prefix,
      queue: p.routes,
      current: null,
      attempts: [],
      holding: null,
      headers: options.headers ?? [],
      tracked: options.tracked ?? true,
    };
    const target = await this.nextCarrier(call);
    if (target === null) {
      this.finish(call);
      return { reply: { status: 503, reason: 'No Carrier Available' } };
    }
    this.byRequest.set(req, call);
    if (call.tracked) {
      this.byCallId.set(call.callId, call);
    }
    return { targets: [target] };
  }

  /** Whether the failure hook's request is an LCR call this router is still working on. */
  owns(req: SipRequest): boolean {
    return this.byRequest.has(req);
  }

  /** The proxy's failure hook for an LCR call: next gateway/carrier, or nothing (the end). */
  async onFailure(ctx: FailureContext): Promise<void> {
    const call = this.byRequest.get(ctx.request);
    if (call === undefined || call.current === null) return;
    const last = ctx.responses[ctx.responses.length - 1];
    const status = last?.status ?? 408;
    const attempt = call.attempts[call.attempts.length - 1];
    if (attempt !== undefined) attempt.status = status;
    const cur = call.current;
    const cfg = this.carriers.config(cur.carrier.carrier);
    if ((status === 401 || status === 407) && last !== undefined && cfg?.auth !== undefined) {
      // §22.2: "the client SHOULD retry the request" with credentials — once per gateway
      if (!cur.authed) {
        const gateway = attempt?.gateway ?? cur.gateways[0]!;
        const uri = this.requestUri(gateway, cfg.dialPrefix, call.number);
        const header = answerChallenge(last, ctx.request.method, uri, cfg.auth);
        if (header !== null) {
          cur.authed = true;
          this.counters.auth++;
          call.attempts.push({
            carrier: cur.carrier.carrier,
            cost: cur.carrier.cost,
            gateway,
            status: null,
            auth: true,
          });
          ctx.addTargets([
            await this.target(gateway, cfg.dialPrefix, call, cfg.attemptTimeoutSeconds, header),
          ]);
          return;
        }
      }
      return this.finish(call);
    }
    if (!this.failoverOn.has(status)) return this.finish(call); // other 4xx: the answer stands
    this.counters.failovers++;
    // the same carrier's next gateway first, then the next carrier
    cur.gateways.shift();
    cur.authed = false;
    const gateway = cur.gateways[0];
    if (gateway !== undefined && cfg !== undefined) {
      call.attempts.push({
        carrier: cur.carrier.carrier,
        cost: cur.carrier.cost,
        gateway,
        status: null,
      });
      ctx.addTargets([await this.target(gateway, cfg.dialPrefix, call, cfg.attemptTimeoutSeconds)]);
      return;
    }
    const next = await this.nextCarrier(call);
    if (next === null) return this.finish(call);
    this.logger.debug(
      { callId: call.callId, carrier: call.current?.carrier.carrier, status },
      'LCR failover',
    );
    ctx.addTargets([next]);
  }

  /** The call was answered: its running attempt gets 200 in the CDR. */
  callAnswered(callId: string): void {
    const last = this.byCallId.get(callId)?.attempts.at(-1);
    if (last?.gateway !== undefined && last.status === null) last.status = 200;
  }

  /** The call is over (dialog terminated, or rejected upstream): its carrier is free again. */
  callEnded(callId: string): void {
    const call = this.byCallId.get(callId);
    if (call === undefined) return;
    this.finish(call);
  }

  /** CDR fields of a call: the carrier that carried it (the last tried) and every attempt. */
  cdrFields(callId: string): Record<string, unknown> | undefined {
    const call = this.byCallId.get(callId);
    if (call === undefined) return undefined;
    const tried = call.attempts.filter((a) => a.gateway !== undefined);
    return {
      lcr: {
        number: call.number,
        prefix: call.prefix,
        carrier: tried[tried.length - 1]?.carrier ?? null,
        attempts: call.attempts,
      },
    };
  }

  /** Skip unavailable carriers; take the first usable one. */
  private async nextCarrier(call: LcrCall): Promise<ProxyTarget | null> {
    if (call.holding !== null) {
      this.carriers.release(call.holding);
      call.holding = null;
    }
    call.current = null;
    for (;;) {
      const c = call.queue.shift();
      if (c === undefined) return null;
      const why = this.carriers.unavailable(c.carrier);
      if (why !== null) {
        this.counters.skipped++;
        call.attempts.push({ carrier: c.carrier, cost: c.cost, skipped: why });
        continue;
      }
      const cfg = this.carriers.config(c.carrier)!;
      const gateways = this.carriers.liveUris(c.carrier);
      let target: ProxyTarget;
      try {
        target = await this.target(gateways[0]!, cfg.dialPrefix, call, cfg.attemptTimeoutSeconds);
      } catch (err) {
        this.logger.warn({ err, carrier: c.carrier }, 'carrier gateway not routable');
        call.attempts.push({ carrier: c.carrier, cost: c.cost, skipped: 'down' });
        continue;
      }
      if (call.tracked) {
        this.carriers.take(c.carrier);
        call.holding = c.carrier;
      } else this.carriers.takeRate(c.carrier);
      call.current = { carrier: c, gateways, authed: false };
      call.attempts.push({ carrier: c.carrier, cost: c.cost, gateway: gateways[0]!, status: null });
      return target;
    }
  }

  private finish(call: LcrCall): void {
    if (call.holding !== null) {
      this.carriers.release(call.holding);
      call.holding = null;
    }
    call.current = null;
    // kept a while for the CDR, which is written after the dialog ends
    this.byCallId.end(call.callId);
  }

  private requestUri(gateway: string, dialPrefix: string, number: string): string {
    return gateway.replace(/^(sips?:)(?:[^@;?]*@)?/, `$1${dialPrefix}${number}@`);
  }

  private async target(
    gateway: string,
    dialPrefix: string,
    call: LcrCall,
    timeoutSeconds: number | undefined,
    auth?: [string, string],
  ): Promise<ProxyTarget> {
    const headers = auth === undefined ? call.headers : [...call.headers, auth];
    return {
      uri: this.requestUri(gateway, dialPrefix, call.number),
      destination: await destinationOf(gateway),
      ...(timeoutSeconds !== undefined ? { timeout: timeoutSeconds * 1000 } : {}),
      ...(headers.length > 0 ? { headers } : {}),
    };
  }

  /** Runs of equal cost: weighted shuffle by carrier weight (Efraimidis–Spirakis). */
  private shuffleEqualCosts(routes: CarrierCost[]): CarrierCost[] {
    const out: CarrierCost[] = [];
    for (let i = 0; i < routes.length;) {
      let j = i + 1;
      while (j < routes.length && routes[j]!.cost === routes[i]!.cost) j++;
      if (j - i === 1) out.push(routes[i]!);
      else
        out.push(
          ...routes
            .slice(i, j)
            .map((r) => ({
              r,
              k: this.random() ** (1 / (this.carriers.config(r.carrier)?.weight ?? 1)),
            }))
            .sort((a, b) => b.k - a.k)
            .map((x) => x.r),
        );
      i = j;
    }
    return out;
  }
}
