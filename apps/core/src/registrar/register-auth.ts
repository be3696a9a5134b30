/**
 * Who sent this REGISTER (RFC 3261 §10.3 step 3: "the registrar authenticates the UAC").
 * Either the edge vouched for the user (a valid `X-Strata-Auth`, when configured), or the
 * request carries a digest response to one of our challenges (§22.2: 401 with
 * WWW-Authenticate). The verifier and credential sources are the edge's (@strata/auth):
 * stateless nonces bound to time and source, each (nonce, nc) used once, SHA-256 and MD5.
 */
import {
  EdgeAssertion,
  MemoryReplayGuard,
  RedisReplayGuard,
  StatelessDigest,
  openCredentialSource,
  type CredentialSource,
  type ReplayGuard,
} from '@strata/auth';
import { parseAuth, type SipRequest } from '@strata/parser';
import type { MessageSource } from '@strata/transport';
import type { RegistrarAuthConfig } from './auth-config.js';

export type AuthOutcome =
  | { ok: true; username: string; by: 'digest' | 'edge' }
  | { ok: false; status: number; reason: string; headers: [string, string][] };

export interface RegisterAuthenticator {
  authenticate(req: SipRequest, source: MessageSource | null): Promise<AuthOutcome>;
  close(): void;
}

export class DigestRegisterAuth implements RegisterAuthenticator {
  constructor(
    private readonly digest: StatelessDigest,
    private readonly realm: string,
    private readonly assertion: EdgeAssertion | null,
    private readonly onClose: () => void = () => {},
  ) {}

  async authenticate(req: SipRequest, source: MessageSource | null): Promise<AuthOutcome> {
    const vouched = this.assertion?.verify(req) ?? null;
    if (vouched !== null) return { ok: true, username: vouched, by: 'edge' };
    // the nonce was issued to the previous hop: the UA itself, or the edge in front of it
    const from = source?.address ?? '';
    let creds;
    try {
      // several Authorization headers (one per realm on the path): ours is the one we answer
      const all = req.headers.getAll('authorization').map(parseAuth);
      creds =
        all.find((c) => c.params.get('realm') === this.realm) ??
        all.find((c) => c.params.get('realm') !== undefined);
    } catch {
      creds = undefined; // unreadable credentials: a fresh challenge
    }
    let verdict;
    try {
      verdict = await this.digest.verify(req.method, creds, from, viaBranch(req));
    } catch {
      // the credential store failed (Redis down): not the client's fault, ask it to retry
      return {
        ok: false,
        status: 503,
        reason: 'Service Unavailable',
        headers: [['Retry-After', '5']],
      };
    }
    if (verdict.ok) return { ok: true, username: verdict.username, by: 'digest' };
    // a wrong password gets a new challenge, the same answer as an unknown user (the edge's
    // policy: nothing tells a guesser which names exist); a stale or replayed nonce says stale=true
    return {
      ok: false,
      status: 401,
      reason: 'Unauthorized',
      headers: this.digest.challenges(from, verdict.stale).map((c) => ['WWW-Authenticate', c]),
    };
  }

  close(): void {
    this.onClose();
  }
}

/** The registrar's authenticator for `registrar.auth`, or null when it is off. */
export function registerAuthFrom(
  config: RegistrarAuthConfig,
  options: { now?: () => number; credentials?: CredentialSource } = {},
): RegisterAuthenticator | null {
  if (!config.enabled) return null;
  if (config.secret === undefined) throw new Error('registrar.auth.secret is required');
  const opened =
    options.credentials !== undefined
      ? { source: options.credentials, redis: null, close: () => {} }
      : openCredentialSource(config);
  // cores share used (nonce, nc) pairs through the credentials' Redis, when there is one
  const replay: ReplayGuard =
    opened.redis !== null
      ? new RedisReplayGuard(opened.redis, config.redis?.keyPrefix ?? 'strata')
      : new MemoryReplayGuard(100_000, options.now);
  const digest = new StatelessDigest(
    {
      realm: config.realm,
      secret: config.secret,
      algorithms: config.algorithms,
      nonceTtlSeconds: config.nonceTtlSeconds,
      replay,
      ...(options.now !== undefined ? { now: options.now } : {}),
    },
    opened.source,
  );
  const assertion =
    config.edgeAssertion !== undefined
      ? new EdgeAssertion({
          ...config.edgeAssertion,
          ...(options.now !== undefined ? { now: options.now } : {}),
        })
      : null;
  return new DigestRegisterAuth(digest, config.realm, assertion, () => opened.close());
}

/** The transaction a retransmission shares (RFC 3261 §17.2.3): its top Via branch. */
function viaBranch(req: SipRequest): string {
  return req.topVia?.params.get('branch') ?? '';
}
