/**
 * Stateless digest authentication (RFC 3261 §22, RFC 8760 for SHA-256, qop=auth
 * as in RFC 7616 §3.4.1). The nonce is an HMAC of its own timestamp under a
 * shared secret, so any edge node verifies a response to another node's
 * challenge without shared state. Replay is bounded by the nonce lifetime.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { AuthValue } from '@strata/parser';

export type DigestAlgorithm = 'SHA-256' | 'MD5';

export interface Credentials {
  /** clear-text password, or precomputed HA1 per algorithm */
  password?: string;
  ha1?: Partial<Record<DigestAlgorithm, string>>;
}

export interface CredentialSource {
  lookup(username: string, realm: string): Promise<Credentials | undefined>;
}

export interface DigestOptions {
  realm: string;
  secret: string;
  algorithms: readonly DigestAlgorithm[];
  nonceTtlSeconds: number;
  now?: () => number;
}

export type DigestVerdict =
  | { ok: true; username: string }
  | {
      ok: false;
      stale: boolean;
      reason:
        'missing' | 'bad-nonce' | 'stale-nonce' | 'unknown-user' | 'bad-response' | 'malformed';
    };

const HASH: Record<DigestAlgorithm, string> = { 'SHA-256': 'sha256', MD5: 'md5' };

function h(alg: DigestAlgorithm, s: string): string {
  return createHash(HASH[alg]).update(s).digest('hex');
}

export class StatelessDigest {
  private readonly now: () => number;

  constructor(
    private readonly options: DigestOptions,
    private readonly credentials: CredentialSource,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** nonce = base64url(seconds ‖ HMAC(secret, seconds ‖ realm)[0..16]) */
  makeNonce(): string {
    const ts = Buffer.alloc(8);
    ts.writeBigUInt64BE(BigInt(Math.floor(this.now() / 1000)));
    return Buffer.concat([ts, this.mac(ts)]).toString('base64url');
  }

  private mac(ts: Buffer): Buffer {
    return createHmac('sha256', this.options.secret)
      .update(ts)
      .update(this.options.realm)
      .digest()
      .subarray(0, 16);
  }

  /** 'valid', 'stale' (genuine but expired) or 'invalid'. */
  checkNonce(nonce: string): 'valid' | 'stale' | 'invalid' {
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== 24) return 'invalid';
    const ts = raw.subarray(0, 8);
    if (!timingSafeEqual(raw.subarray(8), this.mac(ts))) return 'invalid';
    const age = Math.floor(this.now() / 1000) - Number(ts.readBigUInt64BE());
    return age >= 0 && age <= this.options.nonceTtlSeconds ? 'valid' : 'stale';
  }

  /**
   * Challenge header values, strongest algorithm first (RFC 8760 §2.4: the
   * server lists its preferred algorithm first). Every answer has the same
   * shape whoever asks: nothing reveals whether a user exists.
   */
  challenges(stale = false): string[] {
    const nonce = this.makeNonce();
    return this.options.algorithms.map(
      (alg) =>
        `Digest realm="${this.options.realm}", nonce="${nonce}", algorithm=${alg}, qop="auth"${stale ? ', stale=true' : ''}`,
    );
  }

  async verify(method: string, credentials: AuthValue | undefined): Promise<DigestVerdict> {
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
    const alg: DigestAlgorithm | undefined =
      algText === 'SHA-256' ? 'SHA-256' : algText === 'MD5' ? 'MD5' : undefined;
    if (
      username === undefined ||
      nonce === undefined ||
      uri === undefined ||
      response === undefined ||
      alg === undefined ||
      !this.options.algorithms.includes(alg) ||
      realm !== this.options.realm
    ) {
      return { ok: false, stale: false, reason: 'malformed' };
    }
    const nonceState = this.checkNonce(nonce);
    if (nonceState === 'invalid') return { ok: false, stale: false, reason: 'bad-nonce' };
    const creds = await this.credentials.lookup(username, this.options.realm);
    // Compute the expected response even for unknown users: same work, same timing.
    const ha1 =
      creds?.ha1?.[alg] ??
      h(alg, `${username}:${this.options.realm}:${creds?.password ?? '\u0000no-such-user'}`);
    const ha2 = h(alg, `${method}:${uri}`);
    const qop = p.get('qop');
    const expected =
      qop === undefined
        ? h(alg, `${ha1}:${nonce}:${ha2}`)
        : h(alg, `${ha1}:${nonce}:${p.get('nc') ?? ''}:${p.get('cnonce') ?? ''}:${qop}:${ha2}`);
    const match =
      expected.length === response.length &&
      timingSafeEqual(Buffer.from(expected), Buffer.from(response.toLowerCase()));
    if (creds === undefined) return { ok: false, stale: false, reason: 'unknown-user' };
    if (!match) return { ok: false, stale: false, reason: 'bad-response' };
    // RFC 7616 §3.3: a correct response with an expired nonce is answered stale=true
    if (nonceState === 'stale') return { ok: false, stale: true, reason: 'stale-nonce' };
    return { ok: true, username };
  }
}

/** Credentials from a static map (users file). */
export class StaticCredentials implements CredentialSource {
  constructor(private readonly users: ReadonlyMap<string, Credentials>) {}

  lookup(username: string): Promise<Credentials | undefined> {
    return Promise.resolve(this.users.get(username));
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
