/**
 * Digest authentication of REGISTER (RFC 3261 §10.3 steps 3–4, §22): challenge, accept,
 * authorise the AoR, refuse wrong passwords and stale or replayed nonces; the edge's signed
 * assertion instead of a second challenge.
 */
import { describe, expect, it } from 'vitest';
import {
  digestResponse,
  EdgeAssertion,
  StaticCredentials,
  type CredentialSource,
  type DigestAlgorithm,
} from '@strata/auth';
import { parseAuth, parseMessage, type SipRequest } from '@strata/parser';
import type { MessageSource } from '@strata/transport';
import { coreConfigSchema } from '../src/config.js';
import { registrarAuthSchema } from '../src/registrar/auth-config.js';
import { MemoryLocationStore } from '../src/registrar/memory-location-store.js';
import { registerAuthFrom } from '../src/registrar/register-auth.js';
import { Registrar } from '../src/registrar/registrar.js';

let clock = 1_800_000_000_000;
const now = (): number => clock;
const SECRET = 'core-nonce-secret-0123';
const EDGE_SECRET = 'edge-to-core-secret-0123';

const source: MessageSource = {
  transport: 'udp',
  address: '198.51.100.7',
  port: 40000,
  localAddress: '127.0.0.1',
  localPort: 5070,
  connectionId: null,
};

let branch = 0;
function register(
  opts: { user?: string; cseq?: number; auth?: string; contact?: string } = {},
): SipRequest {
  const user = opts.user ?? 'alice';
  const lines = [
    'REGISTER sip:example.com SIP/2.0',
    `Via: SIP/2.0/UDP 198.51.100.7:40000;branch=z9hG4bKra${++branch}`,
    'Max-Forwards: 70',
    `To: <sip:${user}@example.com>`,
    `From: <sip:${user}@example.com>;tag=t1`,
    'Call-ID: reg-auth-1',
    `CSeq: ${opts.cseq ?? 1} REGISTER`,
    `Contact: ${opts.contact ?? '<sip:alice@198.51.100.7:40000>'}`,
    'Expires: 600',
    ...(opts.auth !== undefined ? [`Authorization: ${opts.auth}`] : []),
    'Content-Length: 0',
    '',
    '',
  ];
  return parseMessage(Buffer.from(lines.join('\r\n'))) as SipRequest;
}

function setup(
  over: Record<string, unknown> = {},
  credentials: CredentialSource = new StaticCredentials(
    new Map([
      ['alice', { password: 'wonderland' }],
      ['bob', { password: 'builder' }],
    ]),
  ),
) {
  const config = registrarAuthSchema.parse({
    enabled: true,
    realm: 'example.com',
    secret: SECRET,
    nonceTtlSeconds: 60,
    edgeAssertion: { secret: EDGE_SECRET },
    ...over,
  });
  const store = new MemoryLocationStore(now);
  const reg = new Registrar(store, {
    minExpires: 60,
    maxExpires: 3600,
    defaultExpires: 3600,
    maxContacts: 5,
    domains: new Set(['example.com']),
    auth: registerAuthFrom(config, { now, credentials }),
    now,
  });
  return { reg, store };
}

/** The nonce of the challenge for `algorithm` in a 401. */
function challenge(res: { headers: { getAll(n: string): string[] } }, algorithm: DigestAlgorithm) {
  const c = res.headers
    .getAll('www-authenticate')
    .map(parseAuth)
    .find((a) => a.params.get('algorithm') === algorithm)!;
  return {
    nonce: c.params.get('nonce')!,
    realm: c.params.get('realm')!,
    stale: c.params.get('stale'),
  };
}

function answer(
  nonce: string,
  o: { user?: string; password?: string; algorithm?: DigestAlgorithm; nc?: string } = {},
): string {
  return digestResponse({
    algorithm: o.algorithm ?? 'SHA-256',
    username: o.user ?? 'alice',
    realm: 'example.com',
    password: o.password ?? 'wonderland',
    method: 'REGISTER',
    uri: 'sip:example.com',
    nonce,
    cnonce: 'c0ffee',
    nc: o.nc ?? '00000001',
  });
}

describe('Registrar digest authentication (RFC 3261 §10.3 step 3, §22)', () => {
  it('challenges a REGISTER without credentials: 401, WWW-Authenticate in our realm, nothing bound', async () => {
    const { reg, store } = setup();
    const out = await reg.register(register(), source);
    expect(out.response.status).toBe(401);
    const values = out.response.headers.getAll('www-authenticate');
    expect(values).toHaveLength(2);
    expect(values[0]).toMatch(
      /^Digest realm="example.com", nonce="[^"]+", algorithm=SHA-256, qop="auth"$/,
    );
    expect(values[1]).toMatch(/algorithm=MD5/);
    expect(await store.get('sip:alice@example.com')).toEqual([]);
  });

  it.each(['SHA-256', 'MD5'] as const)('binds after a correct %s answer', async (algorithm) => {
    const { reg, store } = setup();
    const first = await reg.register(register(), source);
    const { nonce } = challenge(first.response, algorithm);
    const out = await reg.register(
      register({ cseq: 2, auth: answer(nonce, { algorithm }) }),
      source,
    );
    expect(out.response.status).toBe(200);
    expect(out.username).toBe('alice');
    expect((await store.get('sip:alice@example.com')).map((b) => b.contact)).toEqual([
      'sip:alice@198.51.100.7:40000',
    ]);
  });

  it('403 when the authenticated user is not the AoR’s user (step 4)', async () => {
    const { reg, store } = setup();
    const { nonce } = challenge(
      (await reg.register(register({ user: 'alice' }), source)).response,
      'SHA-256',
    );
    // bob's correct credentials, registering alice's AoR
    const out = await reg.register(
      register({
        user: 'alice',
        cseq: 2,
        auth: answer(nonce, { user: 'bob', password: 'builder' }),
      }),
      source,
    );
    expect(out.response.status).toBe(403);
    expect(await store.get('sip:alice@example.com')).toEqual([]);
  });

  it('a wrong password, or an unknown user, gets a fresh challenge (not stale), nothing bound', async () => {
    const { reg, store } = setup();
    const { nonce } = challenge((await reg.register(register(), source)).response, 'SHA-256');
    const wrong = await reg.register(
      register({ cseq: 2, auth: answer(nonce, { password: 'guess' }) }),
      source,
    );
    expect(wrong.response.status).toBe(401);
    expect(challenge(wrong.response, 'SHA-256').stale).toBeUndefined();
    expect(challenge(wrong.response, 'SHA-256').nonce).not.toBe(nonce);
    const unknown = await reg.register(
      register({
        user: 'mallory',
        cseq: 3,
        auth: answer(nonce, { user: 'mallory', nc: '00000002' }),
      }),
      source,
    );
    expect(unknown.response.status).toBe(401);
    expect(await store.get('sip:alice@example.com')).toEqual([]);
  });

  it('a correct answer to an expired nonce: 401 stale=true, then the new nonce works', async () => {
    const { reg, store } = setup();
    const { nonce } = challenge((await reg.register(register(), source)).response, 'SHA-256');
    clock += 61_000; // past nonceTtlSeconds
    const stale = await reg.register(register({ cseq: 2, auth: answer(nonce) }), source);
    expect(stale.response.status).toBe(401);
    const fresh = challenge(stale.response, 'SHA-256');
    expect(fresh.stale).toBe('true');
    const ok = await reg.register(register({ cseq: 3, auth: answer(fresh.nonce) }), source);
    expect(ok.response.status).toBe(200);
    expect(await store.get('sip:alice@example.com')).toHaveLength(1);
  });

  it('the same (nonce, nc) on another request is a replay: 401 stale=true; nc+1 is accepted', async () => {
    const { reg } = setup();
    const { nonce } = challenge((await reg.register(register(), source)).response, 'SHA-256');
    expect(
      (await reg.register(register({ cseq: 2, auth: answer(nonce) }), source)).response.status,
    ).toBe(200);
    const replay = await reg.register(
      register({ cseq: 3, auth: answer(nonce), contact: '<sip:alice@203.0.113.66>' }),
      source,
    );
    expect(replay.response.status).toBe(401);
    expect(challenge(replay.response, 'SHA-256').stale).toBe('true');
    const next = await reg.register(
      register({ cseq: 4, auth: answer(nonce, { nc: '00000002' }) }),
      source,
    );
    expect(next.response.status).toBe(200);
  });

  it('a nonce issued to another address is refused', async () => {
    const { reg } = setup();
    const { nonce } = challenge((await reg.register(register(), source)).response, 'SHA-256');
    const elsewhere = { ...source, address: '203.0.113.66' };
    const out = await reg.register(register({ cseq: 2, auth: answer(nonce) }), elsewhere);
    expect(out.response.status).toBe(401);
  });

  it('takes the edge’s signed word for the user; a forged or foreign one gets a challenge', async () => {
    const { reg, store } = setup();
    const edge = new EdgeAssertion({ secret: EDGE_SECRET, now });
    const vouched = register();
    edge.stamp(vouched, 'alice');
    const out = await reg.register(vouched, source);
    expect(out.response.status).toBe(200);
    expect(out.username).toBe('alice');
    // the edge vouched for bob: bob may not register alice
    const other = register({ cseq: 2 });
    edge.stamp(other, 'bob');
    expect((await reg.register(other, source)).response.status).toBe(403);
    // signed with another secret (a client making up the header)
    const forged = register({ cseq: 3, contact: '<sip:alice@203.0.113.66>' });
    new EdgeAssertion({ secret: 'attacker-guess-0123456', now }).stamp(forged, 'alice');
    expect((await reg.register(forged, source)).response.status).toBe(401);
    expect((await store.get('sip:alice@example.com')).map((b) => b.contact)).toEqual([
      'sip:alice@198.51.100.7:40000',
    ]);
  });

  it('ignores the edge’s header when edgeAssertion is not configured', async () => {
    const { reg } = setup({ edgeAssertion: undefined });
    const vouched = register();
    new EdgeAssertion({ secret: EDGE_SECRET, now }).stamp(vouched, 'alice');
    expect((await reg.register(vouched, source)).response.status).toBe(401);
  });

  it('a failing credential store is 503 Retry-After, not a challenge', async () => {
    const { reg } = setup({}, { lookup: () => Promise.reject(new Error('redis down')) });
    const { nonce } = challenge((await reg.register(register(), source)).response, 'SHA-256');
    const out = await reg.register(register({ cseq: 2, auth: answer(nonce) }), source);
    expect(out.response.status).toBe(503);
    expect(out.response.headers.get('retry-after')).toBe('5');
  });

  it('is off by default; on, it needs a secret', () => {
    const defaults = coreConfigSchema.parse({});
    expect(defaults.registrar.auth.enabled).toBe(false);
    expect(registerAuthFrom(defaults.registrar.auth)).toBeNull();
    expect(() => coreConfigSchema.parse({ registrar: { auth: { enabled: true } } })).toThrow(
      /secret/,
    );
  });
});
