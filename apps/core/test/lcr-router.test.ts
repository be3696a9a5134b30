import { parseMessage, type SipRequest, type SipResponse } from '@strata/parser';
import type { FailureContext, ProxyTarget, TransactionLayer } from '@strata/transaction';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Carriers } from '../src/lcr/carriers.js';
import { Lcr } from '../src/lcr/lcr.js';
import { lcrSchema, type LcrConfig } from '../src/lcr/lcr-config.js';
import { LcrRouter } from '../src/lcr/lcr-router.js';
import { answerChallenge } from '../src/lcr/outbound-auth.js';
import { RateTableBuilder, type RateTable } from '../src/lcr/rate-table.js';
import type { RateTables } from '../src/lcr/rate-tables.js';

const log = pino({ level: 'silent' });
let n = 0;

function invite(user = '+442071234567'): SipRequest {
  const id = ++n;
  return parseMessage(
    Buffer.from(
      `INVITE sip:${user}@core.example.com SIP/2.0\r\n` +
        `Via: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bK-${id}\r\n` +
        `Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=f${id}\r\nTo: <sip:${user}@example.com>\r\n` +
        `Call-ID: call-${id}\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@10.0.0.9>\r\nContent-Length: 0\r\n\r\n`,
    ),
  ) as SipRequest;
}

function response(req: SipRequest, status: number, extra = ''): SipResponse {
  return parseMessage(
    Buffer.from(
      `SIP/2.0 ${status} X\r\nVia: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bK-x\r\n` +
        `From: <sip:alice@example.com>;tag=f\r\nTo: <sip:x@example.com>;tag=t\r\nCall-ID: ${req.callId}\r\n` +
        `CSeq: 1 INVITE\r\n${extra}Content-Length: 0\r\n\r\n`,
    ),
  ) as SipResponse;
}

/** Runs the failure hook for the last branch's `status`; returns the targets it added. */
async function fail(
  router: LcrRouter,
  req: SipRequest,
  status: number,
  extra = '',
): Promise<ProxyTarget[]> {
  const added: ProxyTarget[] = [];
  const ctx: FailureContext = {
    request: req,
    source: { transport: 'udp', address: '10.0.0.9', port: 5060 } as FailureContext['source'],
    responses: [response(req, status, extra)],
    bestStatus: status,
    round: 0,
    after6xx: status >= 600,
    addTargets: (t) => added.push(...t),
  };
  await router.onFailure(ctx);
  return added;
}

function table(rows: [string, string, number][]): RateTable {
  const b = new RateTableBuilder();
  for (const [p, c, cost] of rows) b.add(p, c, cost);
  return b.build();
}

function setup(
  carriers: LcrConfig['carriers'] extends Record<string, infer C>
    ? Record<string, Partial<C>>
    : never,
  rows: [string, string, number][],
  clock = { now: 0 },
): { router: LcrRouter; carriers: Carriers; tables: { t: RateTable } } {
  const config = lcrSchema.parse({ carriers });
  const c = new Carriers({} as TransactionLayer, 'sip:strata@localhost', log, () => clock.now);
  c.configure(config.carriers);
  const tables = { t: table(rows) };
  const rt = { get: () => tables.t } as unknown as RateTables;
  return {
    router: new LcrRouter(
      config,
      c,
      rt,
      log,
      () => 0.5,
      () => clock.now,
    ),
    carriers: c,
    tables,
  };
}

const RATES: [string, string, number][] = [
  ['44', 'cheap', 0.01],
  ['44', 'mid', 0.02],
  ['44', 'dear', 0.03],
];
const THREE = {
  cheap: { uris: ['sip:10.0.0.1:5060'] },
  mid: { uris: ['sip:10.0.0.2:5060'] },
  dear: { uris: ['sip:10.0.0.3:5060;transport=tcp'], dialPrefix: '+' },
};

describe('LCR routing', () => {
  it('tries the cheapest carrier first; a 503 moves the call to the next, a 404 ends it', async () => {
    const { router, carriers } = setup(THREE, RATES);
    const req = invite();
    const first = await router.route(req, 'default');
    expect(first).toEqual({
      targets: [
        {
          uri: 'sip:442071234567@10.0.0.1:5060',
          destination: { transport: 'udp', address: '10.0.0.1', port: 5060 },
        },
      ],
    });
    expect(carriers.activeCalls('cheap')).toBe(1);
    const second = await fail(router, req, 503);
    expect(second.map((t) => t.uri)).toEqual(['sip:442071234567@10.0.0.2:5060']);
    expect(carriers.activeCalls('cheap')).toBe(0);
    expect(carriers.activeCalls('mid')).toBe(1);
    expect(await fail(router, req, 404)).toEqual([]);
    expect(carriers.activeCalls('mid')).toBe(0);
    expect(router.cdrFields(req.callId)).toEqual({
      lcr: {
        number: '442071234567',
        prefix: '44',
        carrier: 'mid',
        attempts: [
          { carrier: 'cheap', cost: 0.01, gateway: 'sip:10.0.0.1:5060', status: 503 },
          { carrier: 'mid', cost: 0.02, gateway: 'sip:10.0.0.2:5060', status: 404 },
        ],
      },
    });
  });

  it('timeouts (408) and 5xx walk every carrier; then nothing is left to add', async () => {
    const { router } = setup(THREE, RATES);
    const req = invite();
    await router.route(req, 'default');
    expect((await fail(router, req, 408))[0]!.uri).toContain('10.0.0.2');
    const third = await fail(router, req, 500);
    expect(third[0]).toMatchObject({
      uri: 'sip:+442071234567@10.0.0.3:5060;transport=tcp',
      destination: { transport: 'tcp' },
    });
    expect(await fail(router, req, 502)).toEqual([]);
  });

  it('a carrier that is down is skipped and recorded as such', async () => {
    const { router, carriers } = setup(THREE, RATES);
    carriers.setGatewayUp('cheap', 'sip:10.0.0.1:5060', false);
    const req = invite();
    const r = await router.route(req, 'default');
    expect('targets' in r && r.targets[0]!.uri).toContain('10.0.0.2');
    expect(router.cdrFields(req.callId)).toMatchObject({
      lcr: { attempts: [{ carrier: 'cheap', skipped: 'down' }, { carrier: 'mid' }] },
    });
  });

  it('a carrier at its concurrent-call limit is skipped until a call ends', async () => {
    const { router, carriers } = setup(
      { ...THREE, cheap: { uris: ['sip:10.0.0.1:5060'], maxConcurrent: 1 } },
      RATES,
    );
    const a = invite();
    const b = invite();
    expect(JSON.stringify(await router.route(a, 'default'))).toContain('10.0.0.1');
    expect(JSON.stringify(await router.route(b, 'default'))).toContain('10.0.0.2');
    router.callEnded(a.callId);
    expect(carriers.activeCalls('cheap')).toBe(0);
    expect(JSON.stringify(await router.route(invite(), 'default'))).toContain('10.0.0.1');
  });

  it('a transaction-mode call (untracked) is not counted on carriers nor kept for a CDR', async () => {
    const { router, carriers } = setup(
      { ...THREE, cheap: { uris: ['sip:10.0.0.1:5060'], maxConcurrent: 1 } },
      RATES,
    );
    const a = invite();
    expect(JSON.stringify(await router.route(a, 'default', { tracked: false }))).toContain(
      '10.0.0.1',
    );
    expect(JSON.stringify(await router.route(invite(), 'default', { tracked: false }))).toContain(
      '10.0.0.1',
    );
    expect(carriers.activeCalls('cheap')).toBe(0);
    expect(router.cdrFields(a.callId)).toBeUndefined();
    expect((await fail(router, a, 503))[0]!.uri).toContain('10.0.0.2'); // failover still works
  });

  it('calls per second: the second call within a second skips the carrier, a second later it is back', async () => {
    const clock = { now: 1000 };
    const { router } = setup(
      { ...THREE, cheap: { uris: ['sip:10.0.0.1:5060'], maxCps: 1 } },
      RATES,
      clock,
    );
    expect(JSON.stringify(await router.route(invite(), 'default'))).toContain('10.0.0.1');
    expect(JSON.stringify(await router.route(invite(), 'default'))).toContain('10.0.0.2');
    clock.now += 1000;
    expect(JSON.stringify(await router.route(invite(), 'default'))).toContain('10.0.0.1');
  });

  it('a carrier’s next gateway comes before the next carrier', async () => {
    const { router } = setup(
      { ...THREE, cheap: { uris: ['sip:10.0.0.1:5060', 'sip:10.0.0.11:5060'] } },
      RATES,
    );
    const req = invite();
    await router.route(req, 'default');
    expect((await fail(router, req, 503))[0]!.uri).toBe('sip:442071234567@10.0.0.11:5060');
    expect((await fail(router, req, 503))[0]!.uri).toContain('10.0.0.2');
  });

  it('answers a carrier’s 407 once with Proxy-Authorization (RFC 3261 §22.2), then gives up on a second', async () => {
    const { router } = setup(
      {
        ...THREE,
        cheap: { uris: ['sip:10.0.0.1:5060'], auth: { username: 'trunk1', password: 's3cret' } },
      },
      RATES,
    );
    const req = invite();
    await router.route(req, 'default');
    const retry = await fail(
      router,
      req,
      407,
      'Proxy-Authenticate: Digest realm="carrier", nonce="abc123", qop="auth", algorithm=MD5\r\n',
    );
    expect(retry).toHaveLength(1);
    expect(retry[0]!.uri).toBe('sip:442071234567@10.0.0.1:5060');
    const [name, value] = (retry[0]!.headers as [string, string][])[0]!;
    expect(name).toBe('Proxy-Authorization');
    expect(value).toMatch(
      /^Digest username="trunk1", realm="carrier", nonce="abc123", uri="sip:442071234567@10.0.0.1:5060"/,
    );
    expect(value).toMatch(/response="[0-9a-f]{32}", qop=auth, nc=00000001, cnonce="[0-9a-f]+"/);
    expect(
      await fail(router, req, 407, 'Proxy-Authenticate: Digest realm="carrier", nonce="n2"\r\n'),
    ).toEqual([]);
  });

  it('a 401 from a carrier without credentials ends the call like any other 4xx', async () => {
    const { router } = setup(THREE, RATES);
    const req = invite();
    await router.route(req, 'default');
    expect(
      await fail(router, req, 401, 'WWW-Authenticate: Digest realm="c", nonce="n"\r\n'),
    ).toEqual([]);
  });

  it('no prefix → 404; not a number → 484; every carrier unavailable → 503', async () => {
    const { router, carriers } = setup(THREE, RATES);
    expect(await router.route(invite('+3312345'), 'default')).toEqual({
      reply: { status: 404, reason: 'No Route' },
    });
    expect(await router.route(invite('alice'), 'default')).toEqual({
      reply: { status: 484, reason: 'Address Incomplete' },
    });
    for (const [name, c] of Object.entries(THREE)) carriers.setGatewayUp(name, c.uris[0]!, false);
    expect(await router.route(invite(), 'default')).toEqual({
      reply: { status: 503, reason: 'No Carrier Available' },
    });
  });

  it('a new table changes new calls only: a call in progress keeps its plan', async () => {
    const { router, tables } = setup(THREE, RATES);
    const before = invite();
    await router.route(before, 'default');
    tables.t = table([['44', 'dear', 0.001]]);
    expect(JSON.stringify(await router.route(invite(), 'default'))).toContain('10.0.0.3');
    expect((await fail(router, before, 503))[0]!.uri).toContain('10.0.0.2');
  });

  it('a reload swaps the carriers and the table: new calls go to a carrier the reload added', async () => {
    const csv = join(mkdtempSync(join(tmpdir(), 'lcr-reload-')), 'rates.csv');
    writeFileSync(csv, '44,old,0.01\n');
    const config = (carriers: Record<string, { uris: string[] }>) =>
      lcrSchema.parse({ carriers, tables: { default: { csv } }, watch: false });
    const lcr = new Lcr(
      config({ old: { uris: ['sip:10.0.0.1:5060'] } }),
      {} as TransactionLayer,
      'sip:strata@localhost',
      log,
      null,
    );
    await lcr.start();
    const before = await lcr.router.route(invite(), 'default');
    expect('targets' in before && before.targets[0]!.uri).toBe('sip:442071234567@10.0.0.1:5060');
    writeFileSync(csv, '44,new,0.01\n');
    await lcr.reload(config({ new: { uris: ['sip:10.0.0.2:5060'] } }));
    const after = await lcr.router.route(invite(), 'default');
    expect('targets' in after && after.targets[0]!.uri).toBe('sip:442071234567@10.0.0.2:5060');
    expect(lcr.carriers.config('old')).toBeUndefined();
    lcr.stop();
  });

  it('equal costs are shuffled by carrier weight', () => {
    const config = {
      a: { uris: ['sip:10.0.0.1:5060'], weight: 1 },
      b: { uris: ['sip:10.0.0.2:5060'], weight: 100 },
    };
    const { router } = setup(config, [
      ['1', 'a', 1],
      ['1', 'b', 1],
    ]);
    // random() = 0.5: 0.5^(1/100) > 0.5^(1/1), so the heavier carrier goes first
    expect(router.plan('+15551234', 'default')?.routes.map((r) => r.carrier)).toEqual(['b', 'a']);
  });
});

describe('outbound digest (RFC 2617 §3.2.2, values computed independently)', () => {
  const challenge = (header: string): SipResponse =>
    parseMessage(
      Buffer.from(
        `SIP/2.0 407 Proxy Authentication Required\r\nVia: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK-1\r\n` +
          `From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>;tag=2\r\nCall-ID: d\r\nCSeq: 1 INVITE\r\n${header}\r\nContent-Length: 0\r\n\r\n`,
      ),
    ) as SipResponse;
  const creds = { username: 'trunk1', password: 's3cret' };
  const uri = 'sip:61212345678@127.0.0.1:40664';

  it('qop=auth: H(HA1:nonce:nc:cnonce:qop:HA2)', () => {
    const [, value] = answerChallenge(
      challenge(
        'Proxy-Authenticate: Digest realm="carrier.example", nonce="19607nonce1", qop="auth", algorithm=MD5',
      ),
      'INVITE',
      uri,
      creds,
      '06d7172596d13ab7',
    )!;
    expect(value).toContain('response="8b37a96eeefcb10fc28352a3266fba3b"');
  });

  it('no qop (RFC 2069): H(HA1:nonce:HA2); a challenge for another realm is not answered', () => {
    const r = challenge('Proxy-Authenticate: Digest realm="carrier.example", nonce="19607nonce1"');
    expect(answerChallenge(r, 'INVITE', uri, creds)![1]).toContain(
      'response="b766c91c55ef76ff02105251d6ae7278"',
    );
    expect(answerChallenge(r, 'INVITE', uri, { ...creds, realm: 'other' })).toBeNull();
    expect(
      answerChallenge(challenge('Proxy-Authenticate: Basic realm="x"'), 'INVITE', uri, creds),
    ).toBeNull();
  });
});
