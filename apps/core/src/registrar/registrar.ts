/**
 * Registrar (RFC 3261 §10.3, RFC 3327 Path, RFC 5626 instance/reg-id).
 * Turns a REGISTER into binding updates and the response to send; the
 * transport-level details (where the REGISTER came from) arrive as `source`.
 */
import {
  createResponse,
  parseContact,
  readExpires,
  uriEquals,
  parseUri,
  serializeUri,
  type ContactValue,
  type SipRequest,
  type SipResponse,
} from '@strata/parser';
import type { MessageSource } from '@strata/transport';
import { canonicalAor } from './aor.js';
import type { Binding } from './binding.js';
import type { LocationStore } from './location-store.js';
import type { RegisterAuthenticator } from './register-auth.js';

export interface RegistrarOptions {
  minExpires: number;
  maxExpires: number;
  defaultExpires: number;
  maxContacts: number;
  domains: ReadonlySet<string>;
  /** digest authentication (`registrar.auth`); null or absent: anyone may register */
  auth?: RegisterAuthenticator | null;
  now?: () => number;
}

export interface RegisterOutcome {
  response: SipResponse;
  aor: string | null;
  /** bindings after the request, for logs and events */
  bindings: Binding[];
  /** the authenticated user, when auth is on and the request passed it */
  username?: string;
}

export class Registrar {
  private readonly now: () => number;

  constructor(
    private readonly store: LocationStore,
    private readonly options: RegistrarOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  async register(req: SipRequest, source: MessageSource | null): Promise<RegisterOutcome> {
    const reply = (
      status: number,
      reason?: string,
      headers: [string, string][] = [],
    ): RegisterOutcome => ({
      response: createResponse(req, status, reason, { headers }),
      aor: null,
      bindings: [],
    });

    // §10.3 step 1: the Request-URI names a domain we are responsible for
    let aor: string | null;
    try {
      const ruri = req.requestUri;
      if ('host' in ruri && !this.options.domains.has(hostOf(ruri.host)))
        return reply(403, 'Forbidden');
      // step 5: the AoR comes from the To header
      aor = canonicalAor(req.to.uri);
    } catch {
      return reply(400, 'Bad Request');
    }
    let username: string | undefined;
    if (this.options.auth != null) {
      // step 3: "the registrar authenticates the UAC" (§22: 401 with a challenge)
      const verdict = await this.options.auth.authenticate(req, source);
      if (!verdict.ok) return reply(verdict.status, verdict.reason, verdict.headers);
      // step 4: "the registrar SHOULD determine if the authenticated user is authorized to
      // modify registrations for this address-of-record" — here: only their own AoR
      if (!userOwnsAor(req, verdict.username)) return reply(403, 'Forbidden');
      username = verdict.username;
    }
    if (aor === null) return reply(404, 'Not Found');

    const contactValues = req.headers.values('contact');
    const expiresHeader = readExpires(req.headers);
    const callId = req.callId;
    const cseq = req.cseq.seq;
    const now = this.now();
    const existing = await this.store.get(aor);

    // step 6: "*" removes every binding, only with Expires: 0 and no other Contact
    if (contactValues.length === 1 && contactValues[0] === '*') {
      if (expiresHeader !== 0) return reply(400, 'Bad Request: wildcard Contact needs Expires: 0');
      for (const b of existing) {
        // step 6: "...the request fails" when a binding has the same Call-ID and a newer CSeq
        if (b.callId === callId && b.cseq >= cseq) return reply(500, 'Stale CSeq');
      }
      await this.store.removeAll(aor);
      return { response: this.okWith(req, []), aor, bindings: [], ...withUser(username) };
    }

    let contacts: ContactValue[];
    try {
      contacts = contactValues.map(parseContact);
    } catch {
      return reply(400, 'Bad Contact');
    }

    // step 7 needs the expiry of each contact: param, else Expires header, else default
    const plans: { contact: ContactValue; uriText: string; expires: number }[] = [];
    for (const c of contacts) {
      let expires = c.expires ?? expiresHeader ?? this.options.defaultExpires;
      if (expires !== 0 && expires < this.options.minExpires) {
        // step 7: "...MAY reject the registration with a response of 423 (Interval Too Brief)"
        return reply(423, 'Interval Too Brief', [['Min-Expires', String(this.options.minExpires)]]);
      }
      expires = Math.min(expires, this.options.maxExpires);
      plans.push({ contact: c, uriText: serializeUri(c.uri), expires });
    }

    const path = req.headers.values('path');
    const userAgent = req.headers.get('user-agent') ?? null;
    const received = receivedOf(req, source);
    // Check everything before changing anything: a REGISTER is applied whole or not at all.
    const matched = plans.map((plan) => existing.find((b) => sameContact(b.contact, plan.uriText)));
    let count = existing.length;
    for (const [i, plan] of plans.entries()) {
      const same = matched[i];
      if (same !== undefined && same.callId === callId && same.cseq >= cseq) {
        // step 7: same Call-ID and a CSeq not higher → "the update MUST be aborted and the request fails"
        return reply(500, 'Stale CSeq');
      }
      if (plan.expires === 0) count -= same !== undefined ? 1 : 0;
      else if (same === undefined) count++;
    }
    if (count > this.options.maxContacts) return reply(403, 'Too Many Contacts');

    for (const [i, plan] of plans.entries()) {
      const same = matched[i];
      if (plan.expires === 0) {
        if (same !== undefined) await this.store.remove(aor, same.contact);
        continue;
      }
      const instance = plan.contact.params.get('+sip.instance') ?? null;
      const regIdText = plan.contact.params.get('reg-id');
      await this.store.upsert({
        aor,
        contact: same?.contact ?? plan.uriText,
        expiresAt: now + plan.expires * 1000,
        q: plan.contact.q,
        callId,
        cseq,
        path,
        received,
        instanceId: instance === null ? null : instance.replace(/^"|"$/g, ''),
        regId: regIdText == null ? null : Number(regIdText),
        userAgent,
        updatedAt: now,
      });
    }
    const bindings = await this.store.get(aor);
    return { response: this.okWith(req, bindings, path), aor, bindings, ...withUser(username) };
  }

  /** Live bindings for a Request-URI's AoR, best q first (RFC 3261 §16.6 target ordering). */
  async lookup(aor: string): Promise<Binding[]> {
    const list = await this.store.get(aor);
    return list.sort((a, b) => (b.q ?? 1) - (a.q ?? 1));
  }

  /** step 8: 200 OK listing every current binding with its remaining expiry */
  private okWith(req: SipRequest, bindings: Binding[], path: string[] = []): SipResponse {
    const now = this.now();
    const headers: [string, string][] = bindings.map((b) => [
      'Contact',
      `<${b.contact}>;expires=${Math.max(0, Math.round((b.expiresAt - now) / 1000))}`,
    ]);
    // RFC 3327 §5.3: the registrar returns the Path it stored (when the UA supports it)
    const supportsPath = req.headers.values('supported').some((t) => t.toLowerCase() === 'path');
    if (supportsPath) for (const p of path) headers.push(['Path', p]);
    headers.push(['Date', new Date(now).toUTCString()]);
    return createResponse(req, 200, 'OK', { headers });
  }
}

/** RFC 3261 §10.3 step 7: contacts are compared with the URI comparison rules of §19.1.4. */
function sameContact(a: string, b: string): boolean {
  try {
    return uriEquals(parseUri(a), parseUri(b));
  } catch {
    return a === b;
  }
}

/**
 * The To URI's user part (unescaped, §19.1.4: compared case-sensitively) is the
 * authenticated name.
 */
function userOwnsAor(req: SipRequest, username: string): boolean {
  try {
    const to = req.to.uri;
    return 'user' in to && to.user !== null && decodeURIComponent(to.user) === username;
  } catch {
    return false;
  }
}

function withUser(username: string | undefined): { username?: string } {
  return username !== undefined ? { username } : {};
}

function hostOf(host: string): string {
  return (host.startsWith('[') ? host.slice(1, -1) : host).toLowerCase();
}

/**
 * Where the UA really is: the bottom Via (the UA's own) with the received/rport
 * an edge or our transport added (RFC 3581), else the transport source.
 */
function receivedOf(req: SipRequest, source: MessageSource | null): Binding['received'] {
  const vias = req.vias;
  const ua = vias[vias.length - 1];
  if (ua !== undefined && vias.length > 1) {
    const address = ua.params.get('received') ?? hostOf(ua.host);
    const rport = ua.params.get('rport');
    const port = rport != null ? Number(rport) : (ua.port ?? 5060);
    return { transport: ua.transport.toLowerCase(), address, port, connectionId: null };
  }
  if (source === null) return null;
  return {
    transport: source.transport,
    address: source.address,
    port: source.port,
    connectionId: source.connectionId,
  };
}
