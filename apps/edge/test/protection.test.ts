import { describe, expect, it } from 'vitest';
import { AllowList } from '../src/cidr.js';
import { digestResponse, StatelessDigest, StaticCredentials } from '@strata/auth';
import { FlowTokens } from '../src/flow-token.js';
import { TokenBucketLimiter } from '../src/rate-limiter.js';
import { parseAuth } from '@strata/parser';

describe('TokenBucketLimiter', () => {
  it('allows the burst, refills at the rate, and bounds memory', () => {
    let now = 0;
    const l = new TokenBucketLimiter({
      ratePerSecond: 10,
      burst: 5,
      maxSources: 100,
      now: () => now,
    });
    for (let i = 0; i < 5; i++) expect(l.take('1.2.3.4')).toBe(true);
    expect(l.take('1.2.3.4')).toBe(false);
    expect(l.take('5.6.7.8')).toBe(true);
    now += 100; // 1 token
    expect(l.take('1.2.3.4')).toBe(true);
    expect(l.take('1.2.3.4')).toBe(false);
    for (let i = 0; i < 1000; i++) l.take(`10.0.${i >> 8}.${i & 255}`);
    expect(l.trackedSources).toBeLessThanOrEqual(100);
  });
});

describe('allow lists', () => {
  it('matches addresses and subnets, v4 and v6', () => {
    const l = new AllowList(['10.0.0.0/8', '192.0.2.7', '::1', '2001:db8::/32']);
    expect(l.has('10.200.3.4')).toBe(true);
    expect(l.has('192.0.2.7')).toBe(true);
    expect(l.has('192.0.2.8')).toBe(false);
    expect(l.has('::1')).toBe(true);
    expect(l.has('2001:db8::5')).toBe(true);
    // answers are remembered: asked again, the same
    expect(l.has('192.0.2.8')).toBe(false);
    expect(l.has('10.200.3.4')).toBe(true);
  });
});

describe('FlowTokens', () => {
  it('gives a flow the same token every time, and other flows other tokens', () => {
    const f = new FlowTokens();
    const flow = {
      transport: 'udp' as const,
      address: '192.0.2.1',
      port: 5060,
      connectionId: null,
    };
    const token = f.encode(flow);
    expect(f.encode({ ...flow })).toBe(token);
    expect(f.encode({ ...flow, port: 5061 })).not.toBe(token);
    expect(f.decode(token)).toEqual(flow);
    // another key (another edge, no shared key) does not accept it
    expect(new FlowTokens().decode(token)).toBeNull();
  });

  it('round-trips and rejects forgeries', () => {
    const f = new FlowTokens();
    const flow = {
      transport: 'tcp' as const,
      address: '192.0.2.1',
      port: 40001,
      connectionId: 'tcp-42',
    };
    const t = f.encode(flow);
    expect(f.decode(t)).toEqual(flow);
    const udp = {
      transport: 'udp' as const,
      address: '2001:db8::1',
      port: 5060,
      connectionId: null,
    };
    expect(f.decode(f.encode(udp))).toEqual(udp);
    expect(f.decode(t.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')))).toBeNull();
    expect(new FlowTokens().decode(t)).toBeNull();
  });
});

describe('StatelessDigest (RFC 3261 §22, RFC 8760)', () => {
  let now = 1_700_000_000_000;
  const opts = {
    realm: 'strata',
    secret: 'a-shared-secret-of-16+',
    algorithms: ['SHA-256', 'MD5'] as const,
    nonceTtlSeconds: 300,
    now: () => now,
  };
  const creds = new StaticCredentials(new Map([['alice', { password: 'wonderland' }]]));
  const edgeA = new StatelessDigest({ ...opts, algorithms: [...opts.algorithms] }, creds);
  const edgeB = new StatelessDigest({ ...opts, algorithms: [...opts.algorithms] }, creds);

  const answer = (
    nonce: string,
    password: string,
    algorithm: 'SHA-256' | 'MD5' = 'SHA-256',
    nc = '00000001',
  ) =>
    parseAuth(
      digestResponse({
        algorithm,
        username: 'alice',
        realm: 'strata',
        password,
        method: 'INVITE',
        uri: 'sip:bob@strata',
        nonce,
        cnonce: 'c1',
        nc,
      }),
    );

  it('challenges with SHA-256 first, then MD5', () => {
    const c = edgeA.challenges('127.0.0.1');
    expect(c[0]).toMatch(/^Digest realm="strata", nonce="[^"]+", algorithm=SHA-256, qop="auth"$/);
    expect(c[1]).toContain('algorithm=MD5');
  });

  it("accepts an answer to another node's challenge (stateless nonce)", async () => {
    const nonce = /nonce="([^"]+)"/.exec(edgeA.challenges('127.0.0.1')[0]!)![1]!;
    expect(await edgeB.verify('INVITE', answer(nonce, 'wonderland'), '127.0.0.1')).toEqual({
      ok: true,
      username: 'alice',
    });
    expect(
      await edgeB.verify('INVITE', answer(nonce, 'wonderland', 'MD5', '00000002'), '127.0.0.1'),
    ).toEqual({
      ok: true,
      username: 'alice',
    });
  });

  it('rejects a wrong password the same way as an unknown user', async () => {
    const nonce = /nonce="([^"]+)"/.exec(edgeA.challenges('127.0.0.1')[0]!)![1]!;
    const wrong = await edgeA.verify('INVITE', answer(nonce, 'nope'), '127.0.0.1');
    expect(wrong).toMatchObject({ ok: false, stale: false });
    const forged = await edgeA.verify(
      'INVITE',
      answer('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'wonderland'),
      '127.0.0.1',
    );
    expect(forged).toMatchObject({ ok: false, reason: 'bad-nonce' });
  });

  it('answers stale=true to a correct response with an expired nonce', async () => {
    const nonce = /nonce="([^"]+)"/.exec(edgeA.challenges('127.0.0.1')[0]!)![1]!;
    now += 301_000;
    expect(await edgeA.verify('INVITE', answer(nonce, 'wonderland'), '127.0.0.1')).toMatchObject({
      ok: false,
      stale: true,
    });
    expect(edgeA.challenges('127.0.0.1', true)[0]).toContain('stale=true');
  });
});
