/**
 * Stateless digest authentication (RFC 3261 §22, RFC 8760 for SHA-256, qop=auth
 * as in RFC 7616 §3.4.1). The nonce is an HMAC of its own timestamp, the
 * source address it was issued to and the realm under a shared secret, so any
 * node holding the secret (the edges; the cores among themselves) verifies a
 * response to another node's challenge without shared state, and a nonce is
 * worthless from another address. qop=auth is required; each (nonce, nc) is
 * accepted once (a ReplayGuard: memory, IPC or Redis) — a replay is answered
 * stale=true, never accepted.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuthValue } from '@strata/parser';
import type { CredentialSource, DigestAlgorithm } from './credentials.js';
import { MemoryReplayGuard, type ReplayGuard } from './nonce-replay.js';

export interface DigestOptions {
  realm: string;
  secret: string;
  algorithms: readonly DigestAlgorithm[];
  nonceTtlSeconds: number;
  now?: () => number;
  /** single use of (nonce, nc); default an in-process MemoryReplayGuard */
  replay?: ReplayGuard;
}

export type DigestVerdict =
  | { ok: true; username: string }
  | {
      ok: false;
      stale: boolean;
      reason:
        | 'missing'
        | 'bad-nonce'
        | 'stale-nonce'
        | 'replay'
        | 'unknown-user'
        | 'bad-response'
        | 'malformed';
      /** the username the request claimed (for per-user failure counting; never a password) */
      username?: string;
    };

/** Verdicts that count as a failed guess (brute force): not a first try, not a stale/replayed nonce. */
export function isAuthFailure(v: DigestVerdict): boolean {
  return (
    !v.ok &&
    (v.reason === 'unknown-user' ||
      v.reason === 'bad-response' ||
      v.reason === 'bad-nonce' ||
      v.reason === 'malformed')
  );
}

const HASH: Record<DigestAlgorithm, string> = { 'SHA-256': 'sha256', MD5: 'md5' };

function h(alg: DigestAlgorithm, s: string): string {
  return createHash(HASH[alg]).update(s).digest('hex');
}

export class StatelessDigest {
  private readonly now: () => number;
  private readonly replay: ReplayGuard;

  constructor(
    private readonly options: DigestOptions,
    private readonly credentials: CredentialSource,
  ) {
    this.now = options.now ?? Date.now;
    this.replay = options.replay ?? new MemoryReplayGuard(500_000, this.now);
  }

  /**
   * nonce = base64url(seconds ‖ salt ‖ HMAC(secret, seconds ‖ salt ‖ source ‖ realm)[0..16]);
   * the random salt makes every challenge's nonce unique (two users behind one address
   * challenged in the same second must not share a (nonce, nc) space).
   */
  makeNonce(source: string): string {
    const head = Buffer.alloc(16);
    head.writeBigUInt64BE(BigInt(Math.floor(this.now() / 1000)));
    randomBytes(8).copy(head, 8);
    return Buffer.concat([head, this.mac(head, source)]).toString('base64url');
  }

  private mac(head: Buffer, source: string): Buffer {
    return createHmac('sha256', this.options.secret)
      .update(head)
      .update('\u0000')
      .update(source.toLowerCase())
      .update('\u0000')
      .update(this.options.realm)
      .digest()
      .subarray(0, 16);
  }

  /** 'valid', 'stale' (genuine but expired) or 'invalid' (forged, or issued to another source). */
  checkNonce(nonce: string, source: string): 'valid' | 'stale' | 'invalid' {
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== 32) return 'invalid';
    const head = raw.subarray(0, 16);
    if (!timingSafeEqual(raw.subarray(16), this.mac(head, source))) return 'invalid';
    const age = this.ageSeconds(head);
    return age >= 0 && age <= this.options.nonceTtlSeconds ? 'valid' : 'stale';
  }

  private ageSeconds(head: Buffer): number {
    return Math.floor(this.now() / 1000) - Number(head.readBigUInt64BE(0));
  }

  /**
   * Challenge header values, strongest algorithm first (RFC 8760 §2.4: the
   * server lists its preferred algorithm first). Every answer has the same
   * shape whoever asks: nothing reveals whether a user exists.
   */
  challenges(source: string, stale = false): string[] {
    const nonce = this.makeNonce(source);
    return this.options.algorithms.map(
      (alg) =>
        `Digest realm="${this.options.realm}", nonce="${nonce}", algorithm=${alg}, qop="auth"${stale ? ', stale=true' : ''}`,
    );
  }

  /**
   * `source`: the address the request came from (the nonce must have been issued to it).
   * `transaction`: what identifies this request's transaction (a retransmission has the
   * same), so the same (nonce, nc) is accepted again for it but not for another request.
   */
  async verify(
    method: string,
    credentials: AuthValue | undefined,
    source: string,
    transaction = '',
  ): Promise<DigestVerdict> {
    if (credentials === undefined || credentials.scheme.toLowerCase() !== 'digest') {
      return { ok: false, stale: false, reason: 'missing' };
    }
    const p = credentials.params;
    const username = p.get('username');
    const nonce = p.get('nonce');
    const uri = p.get('uri');
    const response = p.get('response');
    const realm = p.get('realm');
    const algText = (p.get('algorithm') ?? 'MD5').toUpperCase();
    const qop = p.get('qop')?.toLowerCase();
    const nc = p.get('nc');
    const cnonce = p.get('cnonce');
    const alg: DigestAlgorithm | undefined =
      algText === 'SHA-256' ? 'SHA-256' : algText === 'MD5' ? 'MD5' : undefined;
    if (
      username === undefined ||
      nonce === undefined ||
      uri === undefined ||
      response === undefined ||
      alg === undefined ||
      !this.options.algorithms.includes(alg) ||
      realm !== this.options.realm ||
      // qop=auth is what we offer: nc makes each response single-use
      qop !== 'auth' ||
      nc === undefined ||
      !/^[0-9a-f]{8}$/i.test(nc) ||
      cnonce === undefined
    ) {
      return {
        ok: false,
        stale: false,
        reason: 'malformed',
        ...(username !== undefined ? { username } : {}),
      };
    }
    const nonceState = this.checkNonce(nonce, source);
    if (nonceState === 'invalid') return { ok: false, stale: false, reason: 'bad-nonce', username };
    const creds = await this.credentials.lookup(username, this.options.realm);
    // Compute the expected response even for unknown users: same work, same timing.
    const ha1 =
      creds?.ha1?.[alg] ??
      h(alg, `${username}:${this.options.realm}:${creds?.password ?? '\u0000no-such-user'}`);
    const ha2 = h(alg, `${method}:${uri}`);
    const expected = h(alg, `${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`);
    const match =
      expected.length === response.length &&
      timingSafeEqual(Buffer.from(expected), Buffer.from(response.toLowerCase()));
    if (creds === undefined) return { ok: false, stale: false, reason: 'unknown-user', username };
    if (!match) return { ok: false, stale: false, reason: 'bad-response', username };
    // RFC 7616 §3.3: a correct response with an expired nonce is answered stale=true
    if (nonceState === 'stale') return { ok: false, stale: true, reason: 'stale-nonce', username };
    // single use per nc, for the rest of the nonce's lifetime
    const ts = Buffer.from(nonce, 'base64url').subarray(0, 8);
    const ttlMs = (this.options.nonceTtlSeconds - this.ageSeconds(ts) + 1) * 1000;
    if (!(await this.replay.claim(`${username}:${nonce}`, nc, ttlMs, transaction)))
      return { ok: false, stale: true, reason: 'replay', username };
    return { ok: true, username };
  }
}

/** A client-side answer to a challenge (for tests and the probe tooling). */
export function digestResponse(args: {
  algorithm: DigestAlgorithm;
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  cnonce: string;
  nc: string;
}): string {
  const { algorithm: a } = args;
  const ha1 = h(a, `${args.username}:${args.realm}:${args.password}`);
  const ha2 = h(a, `${args.method}:${args.uri}`);
  const response = h(a, `${ha1}:${args.nonce}:${args.nc}:${args.cnonce}:auth:${ha2}`);
  return `Digest username="${args.username}", realm="${args.realm}", nonce="${args.nonce}", uri="${args.uri}", response="${response}", algorithm=${a}, qop=auth, nc=${args.nc}, cnonce="${args.cnonce}"`;
}
