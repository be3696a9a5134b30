/**
 * #12 security defaults, in process with fake clocks: the ban list (window, ban period,
 * trusted peers, peers' bans, per-user reports), the digest nonce (bound to the source,
 * single use per nc → stale=true, qop=auth required), and the forwarder's answers: known
 * user, unknown user and wrong password get the same message (minus per-request fields),
 * a brute-forcer goes silent after N failures, nothing carries Server/User-Agent.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  messageToString,
  parseAuth,
  parseMessage,
  type SipRequest,
  type SipResponse,
} from '@strata/parser';
import type { MessageSource } from '@strata/transport';
import { edgeConfigSchema } from '../src/config.js';
import { digestResponse, StatelessDigest, StaticCredentials } from '@strata/auth';
import { AllowList } from '../src/cidr.js';
import { FlowTokens } from '../src/flow-token.js';
import { EdgeForwarder, type EdgeTransport } from '../src/forwarder.js';
import { CoreRing } from '../src/ring.js';
import { BanList } from '../src/security/ban-list.js';
import { EdgeSecurity } from '../src/security/edge-security.js';
import { MemoryReplayGuard } from '@strata/auth';
import { EdgeStats } from '../src/stats.js';

describe('BanList (fake clock)', () => {
  const make = (now: { t: number }, exempt: string[] = []) =>
    new BanList({
      maxFailures: 10,
      windowMs: 60_000,
      banMs: 600_000,
      userMaxFailures: 5,
      maxTracked: 100,
      now: () => now.t,
      isExempt: (a) => exempt.includes(a),
    });

  it('bans after 10 failures within 60 s, for 10 minutes', () => {
    const now = { t: 1_000_000 };
    const bans = make(now);
    for (let i = 0; i < 9; i++) expect(bans.recordFailure('198.51.100.7', 'alice')).toBeNull();
    expect(bans.isBanned('198.51.100.7')).toBe(false);
    const entry = bans.recordFailure('198.51.100.7', 'alice');
    expect(entry).toMatchObject({ address: '198.51.100.7', reason: 'auth-failures' });
    expect(entry!.until - entry!.since).toBe(600_000);
    expect(bans.isBanned('198.51.100.7')).toBe(true);
    expect(bans.isBanned('198.51.100.8')).toBe(false);
    expect(bans.list()[0]!.dropped).toBe(1);
    now.t += 599_999;
    expect(bans.isBanned('198.51.100.7')).toBe(true);
    now.t += 1;
    expect(bans.isBanned('198.51.100.7')).toBe(false);
    expect(bans.list()).toEqual([]);
  });

  it('failures outside the window do not add up', () => {
    const now = { t: 0 };
    const bans = make(now);
    for (let i = 0; i < 30; i++) {
      expect(bans.recordFailure('198.51.100.7')).toBeNull();
      now.t += 6_700; // 9 per 60 s at most
    }
    expect(bans.failuresOf('198.51.100.7')).toBe(8); // the clock moved on after the last one
  });

  it('never bans trusted peers, by failures or by hand', () => {
    const now = { t: 0 };
    const bans = make(now, ['10.0.0.1']);
    for (let i = 0; i < 50; i++) expect(bans.recordFailure('10.0.0.1')).toBeNull();
    expect(bans.ban('10.0.0.1', 1000, 'admin')).toBeNull();
    bans.apply({ t: 'ban', entry: { address: '10.0.0.1', since: 0, until: 1000, reason: 'x' } });
    expect(bans.isBanned('10.0.0.1')).toBe(false);
  });

  it('propagates its own decisions, applies peers’ without echo, lifts bans', () => {
    const now = { t: 0 };
    const a = make(now);
    const b = make(now);
    const fromA: unknown[] = [];
    const fromB: unknown[] = [];
    a.onChange((e, local) => local && fromA.push(e));
    b.onChange((e, local) => local && fromB.push(e));
    a.onChange((e, local) => local && b.apply(e));
    a.ban('203.0.113.5', 5_000, 'admin');
    expect(b.isBanned('203.0.113.5')).toBe(true);
    expect(fromA).toHaveLength(1);
    expect(fromB).toHaveLength(0);
    a.unban('203.0.113.5');
    expect(b.isBanned('203.0.113.5')).toBe(false);
    // an expired peer ban is ignored
    b.apply({ t: 'ban', entry: { address: '203.0.113.6', since: 0, until: 0, reason: 'x' } });
    expect(b.size).toBe(0);
  });

  it('reports a user under attack once, never bans users', () => {
    const now = { t: 0 };
    const bans = make(now);
    const reports: string[] = [];
    bans.onUserAttacked((u) => reports.push(u));
    for (let i = 0; i < 8; i++) bans.recordFailure(`192.0.2.${i}`, 'bob');
    expect(reports).toEqual(['bob']);
    expect(bans.size).toBe(0);
  });

  it('keeps at most maxTracked failure windows', () => {
    const now = { t: 0 };
    const bans = make(now);
    for (let i = 0; i < 1000; i++) bans.recordFailure(`10.1.${i >> 8}.${i & 255}`);
    expect(bans.failuresOf('10.1.3.231')).toBe(1);
    expect(bans.failuresOf('10.1.0.0')).toBe(0); // evicted
  });
});

describe('digest nonce: source-bound, single use per nc', () => {
  let t = 1_700_000_000_000;
  const digest = new StatelessDigest(
    {
      realm: 'strata',
      secret: 'a-shared-secret-of-16+',
      algorithms: ['SHA-256', 'MD5'],
      nonceTtlSeconds: 300,
      now: () => t,
    },
    new StaticCredentials(new Map([['alice', { password: 'wonderland' }]])),
  );
  const nonceFor = (src: string) => /nonce="([^"]+)"/.exec(digest.challenges(src)[0]!)![1]!;
  const creds = (nonce: string, nc: string, extra = '') =>
    parseAuth(
      digestResponse({
        algorithm: 'SHA-256',
        username: 'alice',
        realm: 'strata',
        password: 'wonderland',
        method: 'REGISTER',
        uri: 'sip:strata',
        nonce,
        cnonce: 'cn',
        nc,
      }) + extra,
    );

  it('a nonce issued to one address is worthless from another', async () => {
    const nonce = nonceFor('192.0.2.1');
    expect(await digest.verify('REGISTER', creds(nonce, '00000001'), '192.0.2.2')).toMatchObject({
      ok: false,
      stale: false,
      reason: 'bad-nonce',
    });
    expect(await digest.verify('REGISTER', creds(nonce, '00000001'), '192.0.2.1')).toMatchObject({
      ok: true,
    });
  });

  it('a replayed (nonce, nc) gets stale=true, the next nc is accepted', async () => {
    const nonce = nonceFor('192.0.2.1');
    expect(
      (await digest.verify('REGISTER', creds(nonce, '00000001'), '192.0.2.1', 'tx-1')).ok,
    ).toBe(true);
    // a UDP retransmission of the same request (same transaction) is not a replay
    expect(
      (await digest.verify('REGISTER', creds(nonce, '00000001'), '192.0.2.1', 'tx-1')).ok,
    ).toBe(true);
    expect(await digest.verify('REGISTER', creds(nonce, '00000001'), '192.0.2.1', 'tx-2')).toEqual({
      ok: false,
      stale: true,
      reason: 'replay',
      username: 'alice',
    });
    expect(
      (await digest.verify('REGISTER', creds(nonce, '00000002'), '192.0.2.1', 'tx-3')).ok,
    ).toBe(true);
    // two challenges in the same second get different nonces
    expect(nonceFor('192.0.2.1')).not.toBe(nonceFor('192.0.2.1'));
  });

  it('an expired nonce is stale; a response without qop=auth is refused', async () => {
    const nonce = nonceFor('192.0.2.1');
    const noQop = parseAuth(
      `Digest username="alice", realm="strata", nonce="${nonce}", uri="sip:strata", response="00", algorithm=SHA-256`,
    );
    expect(await digest.verify('REGISTER', noQop, '192.0.2.1')).toMatchObject({
      ok: false,
      reason: 'malformed',
    });
    t += 301_000;
    expect(await digest.verify('REGISTER', creds(nonce, '00000001'), '192.0.2.1')).toMatchObject({
      ok: false,
      stale: true,
      reason: 'stale-nonce',
    });
  });

  it('the memory replay set expires pairs and fails closed when full', () => {
    let now = 0;
    const g = new MemoryReplayGuard(2, () => now);
    expect(g.claimSync('n', '1', 1000, 'a')).toBe(true);
    expect(g.claimSync('n', '1', 1000, 'a')).toBe(true); // the same transaction again
    expect(g.claimSync('n', '1', 1000, 'b')).toBe(false); // another request: replay
    expect(g.claimSync('n', '2', 1000, 'c')).toBe(true);
    expect(g.claimSync('n', '3', 1000, 'd')).toBe(false); // full of live pairs: refuse
    now = 1000;
    expect(g.claimSync('n', '3', 1000, 'd')).toBe(true); // expired ones swept
    expect(g.claimSync('n', '1', 1000, 'b')).toBe(true);
  });
});

// ---- the forwarder's answers ----------------------------------------------------------

const SOURCE: MessageSource = {
  transport: 'udp',
  address: '192.0.2.66',
  port: 5099,
  localAddress: '127.0.0.1',
  localPort: 5060,
  connectionId: null,
};

function edge(overrides: Record<string, unknown> = {}) {
  const config = edgeConfigSchema.parse({
    auth: { enabled: true, secret: 'test-secret-0123456789', realm: 'strata.test' },
    ...overrides,
  });
  const sent: SipResponse[] = [];
  const forwarded: SipRequest[] = [];
  const transport = {
    sendResponse: (r: SipResponse) => {
      sent.push(r);
      return Promise.resolve();
    },
    send: (m: SipRequest) => {
      forwarded.push(m);
      return Promise.resolve();
    },
    viaFor: () => ({ transport: 'UDP', host: '127.0.0.1', port: 5060 }),
  } as unknown as EdgeTransport;
  const logger = pino({ level: 'silent' });
  const ring = new CoreRing(
    [{ id: 'c1', transport: 'udp', address: '127.0.0.1', port: 5070, weight: 1 }],
    { vnodes: 4, rejoin: 'immediate', rejoinGraceMs: 0 },
  );
  const security = new EdgeSecurity(config, () => false, logger);
  const digest = new StatelessDigest(
    {
      realm: 'strata.test',
      secret: 'test-secret-0123456789',
      algorithms: ['SHA-256', 'MD5'],
      nonceTtlSeconds: 300,
    },
    new StaticCredentials(new Map([['alice', { password: 'wonderland' }]])),
  );
  const stats = new EdgeStats();
  const fwd = new EdgeForwarder({
    transport,
    ring,
    prober: null,
    stats,
    logger,
    flows: new FlowTokens(),
    limiter: null,
    limitAction: 'drop',
    trusted: new AllowList([]),
    scannerAgents: config.protection.userAgentBlocklist.map((s) => s.toLowerCase()),
    domains: new Set(['strata.test', '127.0.0.1']),
    digest,
    authMethods: new Set(['INVITE', 'REGISTER']),
    locals: [{ transport: 'udp', host: '127.0.0.1', port: 5060 }],
    branchSalt: 'e1',
    maxForwards: 70,
    security,
    serverHeader: config.serverHeader,
  });
  return { fwd, sent, forwarded, stats, security };
}

let seq = 0;
function request(method: string, user: string, extra: string[] = [], mf = 70): SipRequest {
  const n = ++seq;
  const text = [
    `${method} sip:${method === 'REGISTER' ? '' : 'bob@'}strata.test SIP/2.0`,
    `Via: SIP/2.0/UDP 192.0.2.66:5099;branch=z9hG4bK-${n};rport`,
    `Max-Forwards: ${mf}`,
    `From: <sip:${user}@strata.test>;tag=t${n}`,
    `To: <sip:${method === 'REGISTER' ? user : 'bob'}@strata.test>`,
    `Call-ID: call-${n}@192.0.2.66`,
    `CSeq: ${n} ${method}`,
    `Contact: <sip:${user}@192.0.2.66:5099>`,
    ...(extra.some((h) => /^user-agent:/i.test(h))
      ? []
      : ['User-Agent: Yealink SIP-T46U 108.86.0.20']),
    ...extra,
    'Content-Length: 0',
  ].join('\r\n');
  return parseMessage(Buffer.from(text + '\r\n\r\n')) as SipRequest;
}

const tick = () => new Promise((r) => setTimeout(r, 5));

/** The whole message minus per-request fields: Via, From tag, To tag, Call-ID, CSeq, nonce. */
function shape(r: SipResponse): string {
  return messageToString(r)
    .split('\r\n')
    .filter((l) => !/^(via|call-id|cseq):/i.test(l))
    .map((l) => l.replace(/;tag=[^;>\s]+/g, ';tag=*').replace(/nonce="[^"]+"/g, 'nonce="*"'))
    .join('\r\n');
}

function answerTo(ch: SipResponse, method: string, user: string, password: string): string {
  const header = method === 'REGISTER' ? 'www-authenticate' : 'proxy-authenticate';
  const offer = ch.headers.getAll(header)[0]!;
  const nonce = /nonce="([^"]+)"/.exec(offer)![1]!;
  const name = method === 'REGISTER' ? 'Authorization' : 'Proxy-Authorization';
  return `${name}: ${digestResponse({
    algorithm: 'SHA-256',
    username: user,
    realm: 'strata.test',
    password,
    method,
    uri: method === 'REGISTER' ? 'sip:strata.test' : 'sip:bob@strata.test',
    nonce,
    cnonce: 'abc',
    nc: '00000001',
  })}`;
}

describe('forwarder: no enumeration, bans, no fingerprint', () => {
  for (const method of ['REGISTER', 'INVITE']) {
    it(`${method}: known user, unknown user, wrong password get the same answer`, async () => {
      const { fwd, sent, forwarded } = edge();
      const shapes: string[] = [];
      for (const [user, password] of [
        ['alice', 'nope'], // known, wrong password
        ['mallory', 'x'], // unknown
        ['alice', 'wonderland'], // first try (no credentials) for comparison
      ] as const) {
        fwd.handle(request(method, user), SOURCE);
        await tick();
        const challenge = sent.at(-1)!;
        shapes.push(shape(challenge));
        if (password === 'wonderland') continue;
        fwd.handle(request(method, user, [answerTo(challenge, method, user, password)]), SOURCE);
        await tick();
        shapes.push(shape(sent.at(-1)!));
      }
      expect(forwarded).toHaveLength(0);
      expect(new Set(shapes.map((s) => s.replace(/sip:(alice|mallory)@/g, 'sip:U@'))).size).toBe(1);
      const text = messageToString(sent[0]!);
      expect(text).toMatch(/^SIP\/2\.0 (401|407) /);
      expect(text).not.toMatch(/^(server|user-agent|warning|supported):/im);
      const challenges = sent[0]!.headers.getAll(
        method === 'REGISTER' ? 'www-authenticate' : 'proxy-authenticate',
      );
      expect(challenges[0]).toMatch(
        /realm="strata\.test", nonce="[^"]+", algorithm=SHA-256, qop="auth"$/,
      );
      expect(challenges[1]).toContain('algorithm=MD5');
    });
  }

  it('a brute-forcer is answered 10 times, then silent (dropped, counted, listed)', async () => {
    const { fwd, sent, stats, security } = edge();
    let answered = 0;
    for (let i = 0; i < 30; i++) {
      const before = sent.length;
      fwd.handle(request('REGISTER', 'alice'), SOURCE);
      await tick();
      const ch = sent.at(-1);
      if (sent.length === before || ch === undefined) break;
      fwd.handle(
        request('REGISTER', 'alice', [answerTo(ch, 'REGISTER', 'alice', `guess${i}`)]),
        SOURCE,
      );
      await tick();
      if (sent.length > before + 1) answered++;
    }
    expect(answered).toBe(9); // the 10th failure bans: it gets no answer either
    expect(security.bans.list()).toMatchObject([
      { address: '192.0.2.66', reason: 'auth-failures' },
    ]);
    fwd.handle(request('OPTIONS', 'x', [], 0), SOURCE);
    expect(stats.dropped.get('banned')).toBeGreaterThanOrEqual(2);
    // another source is unaffected
    fwd.handle(request('REGISTER', 'alice'), { ...SOURCE, address: '192.0.2.67' });
    await tick();
    expect(sent.at(-1)!.status).toBe(401);
  });

  it('a scanner User-Agent gets nothing and its source is banned', () => {
    const { fwd, sent, security } = edge();
    fwd.handle(request('OPTIONS', 'x', ['User-Agent: friendly-scanner'], 0), SOURCE);
    fwd.handle(request('OPTIONS', 'x', [], 0), SOURCE);
    expect(sent).toHaveLength(0);
    expect(security.bans.list()).toMatchObject([{ address: '192.0.2.66', reason: 'scanner' }]);
  });

  it('OPTIONS (Max-Forwards 0) reply: no Server/User-Agent/Supported; serverHeader opt-in', () => {
    const { fwd, sent } = edge();
    fwd.handle(request('OPTIONS', 'x', [], 0), SOURCE);
    const text = messageToString(sent[0]!);
    expect(text).toMatch(/^SIP\/2\.0 200 OK/);
    expect(text).not.toMatch(/^(server|user-agent|supported|warning|organization):/im);
    const names = text
      .split('\r\n')
      .slice(1)
      .filter((l) => l.includes(':'))
      .map((l) => l.slice(0, l.indexOf(':')).toLowerCase());
    expect(new Set(names)).toEqual(
      new Set(['via', 'from', 'to', 'call-id', 'cseq', 'allow', 'content-length']),
    );
    const custom = edge({ serverHeader: 'PBX' });
    custom.fwd.handle(request('OPTIONS', 'x', [], 0), SOURCE);
    expect(custom.sent[0]!.headers.get('server')).toBe('PBX');
  });
});

describe('ban list in the admin API (GET, POST, DELETE /admin/bans)', () => {
  it('lists, adds and lifts bans; refuses trusted addresses and bad input', async () => {
    const { banAdminRoutes } = await import('../src/security/admin.js');
    const { BanList } = await import('../src/security/ban-list.js');
    let now = 0;
    const bans = new BanList({
      maxFailures: 10,
      windowMs: 60_000,
      banMs: 600_000,
      userMaxFailures: 50,
      now: () => now,
      isExempt: (a) => a === '10.0.0.1',
    });
    const routes = banAdminRoutes(bans, 600);
    const call = (method: string, query = '') => {
      const route = routes.find((r) => r.method === method)!;
      const q = new URLSearchParams(query);
      return route.handle({ method, path: '/bans', query: q, body: {}, params: [] }) as {
        status: number;
        body: Record<string, unknown>;
      };
    };
    expect(call('POST', 'address=192.0.2.9&seconds=60').status).toBe(201);
    expect(call('GET').body['bans']).toEqual([expect.objectContaining({ address: '192.0.2.9' })]);
    expect(bans.isBanned('192.0.2.9')).toBe(true);
    expect(call('POST', 'address=10.0.0.1').status).toBe(409); // trusted: never banned
    expect(call('POST', 'address=not-an-ip').status).toBe(400);
    expect(call('DELETE', 'address=192.0.2.9').status).toBe(200);
    expect(bans.isBanned('192.0.2.9')).toBe(false);
    expect(call('DELETE', 'address=192.0.2.9').status).toBe(404);
    now += 1; // keep the clock in use
  });
});
