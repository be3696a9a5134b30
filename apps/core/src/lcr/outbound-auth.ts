/**
 * Answering a carrier's digest challenge (RFC 3261 §22.2, "User-to-User Authentication"
 * and §22.3 for the Proxy- variants; digest computation per RFC 2617 §3.2.2 with
 * qop=auth, MD5 or SHA-256 as RFC 8760 adds): a 401 carries WWW-Authenticate and is
 * answered with Authorization, a 407 carries Proxy-Authenticate and is answered with
 * Proxy-Authorization, on a new attempt of the same request.
 */
import { createHash, randomBytes } from 'node:crypto';
import { parseAuth, type SipResponse } from '@strata/parser';

export interface DigestCredentials {
  username: string;
  password: string;
  realm?: string | undefined;
}

const HASHES: Record<string, string> = { md5: 'md5', 'sha-256': 'sha256' };

function h(alg: string, s: string): string {
  return createHash(alg).update(s).digest('hex');
}

/** The header answering the response's first usable challenge, or null (none usable). */
export function answerChallenge(
  response: SipResponse,
  method: string,
  requestUri: string,
  creds: DigestCredentials,
  cnonce: string = randomBytes(8).toString('hex'),
): [string, string] | null {
  const proxy = response.status === 407;
  const challengeHeader = proxy ? 'proxy-authenticate' : 'www-authenticate';
  for (const value of response.headers.getAll(challengeHeader)) {
    let challenge;
    try {
      challenge = parseAuth(value);
    } catch {
      continue;
    }
    if (challenge.scheme.toLowerCase() !== 'digest') continue;
    const p = challenge.params;
    const realm = p.get('realm');
    const nonce = p.get('nonce');
    const algorithm = p.get('algorithm') ?? 'MD5';
    const alg = HASHES[algorithm.toLowerCase()];
    if (realm === undefined || nonce === undefined || alg === undefined) continue;
    if (creds.realm !== undefined && creds.realm !== realm) continue;
    const qops = (p.get('qop') ?? '').split(',').map((q) => q.trim().toLowerCase());
    const ha1 = h(alg, `${creds.username}:${realm}:${creds.password}`);
    const ha2 = h(alg, `${method}:${requestUri}`);
    const parts = [
      `username="${creds.username}"`,
      `realm="${realm}"`,
      `nonce="${nonce}"`,
      `uri="${requestUri}"`,
      `algorithm=${algorithm}`,
    ];
    if (qops.includes('auth')) {
      // RFC 2617 §3.2.2.1: request-digest = H(HA1:nonce:nc:cnonce:qop:HA2)
      const nc = '00000001';
      parts.push(
        `response="${h(alg, `${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`)}"`,
        'qop=auth',
        `nc=${nc}`,
        `cnonce="${cnonce}"`,
      );
    } else {
      // RFC 2069 compatibility (no qop): H(HA1:nonce:HA2)
      parts.push(`response="${h(alg, `${ha1}:${nonce}:${ha2}`)}"`);
    }
    const opaque = p.get('opaque');
    if (opaque !== undefined) parts.push(`opaque="${opaque}"`);
    return [proxy ? 'Proxy-Authorization' : 'Authorization', `Digest ${parts.join(', ')}`];
  }
  return null;
}
