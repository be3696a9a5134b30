import { parseMessage, type SipRequest, type SipResponse } from '@strata/parser';
import type { FailureContext, ProxyTarget, TransactionLayer } from '@strata/transaction';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CallForwarding, targetOf } from '../src/forwarding/call-forwarding.js';
import { forwardingSchema, type ForwardingSettings } from '../src/forwarding/forwarding-config.js';
import { MemoryForwardingStore } from '../src/forwarding/settings-store.js';
import { Carriers } from '../src/lcr/carriers.js';
import { lcrSchema } from '../src/lcr/lcr-config.js';
import { LcrRouter } from '../src/lcr/lcr-router.js';
import { RateTableBuilder } from '../src/lcr/rate-table.js';
import type { RateTables } from '../src/lcr/rate-tables.js';

const log = pino({ level: 'silent' });
const D = 'example.com';
let n = 0;

function invite(user: string, extra = ''): SipRequest {
  const id = ++n;
  return parseMessage(
    Buffer.from(
      `INVITE sip:${user}@${D} SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK-${id}\r\n` +
        `Max-Forwards: 70\r\nFrom: <sip:caller@${D}>;tag=f${id}\r\nTo: <sip:${user}@${D}>\r\n` +
        `Call-ID: fwd-${id}\r\nCSeq: 1 INVITE\r\n${extra}Content-Length: 0\r\n\r\n`,
    ),
  ) as SipRequest;
}

function response(req: SipRequest, status: number): SipResponse {
  return parseMessage(
    Buffer.from(
      `SIP/2.0 ${status} X\r\nVia: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK-x\r\nFrom: <sip:c@${D}>;tag=f\r\n` +
        `To: <sip:x@${D}>;tag=t\r\nCall-ID: ${req.callId}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`,
    ),
  ) as SipResponse;
}

async function fail(
  fwd: CallForwarding,
  req: SipRequest,
  ...statuses: number[]
): Promise<ProxyTarget[]> {
  const added: ProxyTarget[] = [];
  await fwd.onFailure({
    request: req,
    source: { transport: 'udp', address: '10.0.0.9', port: 5060 } as FailureContext['source'],
    responses: statuses.map((s) => response(req, s)),
    bestStatus: statuses[0]!,
    round: 0,
    after6xx: statuses.some((s) => s >= 600),
    addTargets: (t) => added.push(...t),
  });
  return added;
}

/** Registered users: user → contact port. */
const REGISTERED: Record<string, number> = { alice: 5001, bob: 5002, carol: 5003 };

function setup(
  users: Record<string, Partial<ForwardingSettings>>,
  options: {
    header?: 'history-info' | 'diversion';
    maxHops?: number;
    busyStatuses?: (486 | 600)[];
    registered?: Record<string, number>;
  } = {},
): { fwd: CallForwarding; lcr: LcrRouter } {
  const store = new MemoryForwardingStore();
  for (const [u, s] of Object.entries(users))
    void store.set(`sip:${u}@${D}`, { noAnswerSeconds: 20, ...s });
  const registered = options.registered ?? REGISTERED;
  const config = lcrSchema.parse({ carriers: { trunk: { uris: ['sip:10.0.0.50:5060'] } } });
  const carriers = new Carriers({} as TransactionLayer, 'sip:s@localhost', log);
  carriers.configure(config.carriers);
  const b = new RateTableBuilder();
  b.add('44', 'trunk', 0.01);
  const table = b.build();
  const lcr = new LcrRouter(config, carriers, { get: () => table } as unknown as RateTables, log);
  const fwd = new CallForwarding(
    forwardingSchema.parse({
      header: options.header,
      maxHops: options.maxHops,
      busyStatuses: options.busyStatuses,
    }),
    {
      store,
      contacts: (aor) => {
        const user = /^sip:([^@]+)@/.exec(aor)?.[1] ?? '';
        const port = registered[user];
        return Promise.resolve(
          port === undefined
            ? []
            : [
                {
                  uri: `sip:${user}@10.0.0.1:${port}`,
                  destination: { transport: 'udp', address: '10.0.0.1', port },
                },
              ],
        );
      },
      lcr,
      logger: log,
    },
  );
  return { fwd, lcr };
}

const header = (t: ProxyTarget | undefined, name: string): string | undefined =>
  t?.headers?.find(([h]) => h === name)?.[1];

describe('call forwarding', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('without settings: the user’s contacts, no diversion header, nothing armed', async () => {
    const { fwd } = setup({});
    const req = invite('alice');
    const out = await fwd.route(req);
    expect(out).toEqual({
      targets: [
        {
          uri: 'sip:alice@10.0.0.1:5001',
          destination: { transport: 'udp', address: '10.0.0.1', port: 5001 },
        },
      ],
    });
    expect(fwd.owns(req)).toBe(false);
  });

  it('unconditional: the target user’s contacts ring, with History-Info (RFC 7044, cause 302)', async () => {
    const { fwd } = setup({ alice: { unconditional: 'bob' } });
    const out = await fwd.route(invite('alice'));
    if (!('targets' in out)) throw new Error('expected targets');
    expect(out.targets[0]!.uri).toBe('sip:bob@10.0.0.1:5002');
    expect(header(out.targets[0], 'History-Info')).toBe(
      `<sip:alice@${D}>;index=1, <sip:bob@${D};cause=302>;index=1.1;mp=1`,
    );
  });

  it('Diversion (RFC 5806) when configured, most recent diversion first', async () => {
    const { fwd } = setup(
      { alice: { unconditional: 'bob' }, bob: { unconditional: 'carol' } },
      { header: 'diversion' },
    );
    const out = await fwd.route(invite('alice'));
    if (!('targets' in out)) throw new Error('expected targets');
    expect(out.targets[0]!.uri).toBe('sip:carol@10.0.0.1:5003');
    expect(header(out.targets[0], 'Diversion')).toBe(
      `<sip:bob@${D}>;reason=unconditional;counter=1;privacy=off, <sip:alice@${D}>;reason=unconditional;counter=1;privacy=off`,
    );
  });

  it('unconditional loop A → B → A: 482 Loop Detected', async () => {
    const { fwd } = setup({
      alice: { unconditional: 'bob' },
      bob: { unconditional: `sip:alice@${D}` },
    });
    expect(await fwd.route(invite('alice'))).toEqual({
      reply: { status: 482, reason: 'Loop Detected' },
    });
    expect(fwd.counters.loops).toBe(1);
  });

  it('a user already in the incoming History-Info is never a target again (loops across proxies)', async () => {
    const { fwd } = setup({ alice: { unconditional: 'bob' } });
    const req = invite(
      'alice',
      `History-Info: <sip:bob@${D}>;index=1, <sip:alice@${D};cause=302>;index=1.1;mp=1\r\n`,
    );
    expect(await fwd.route(req)).toEqual({ reply: { status: 482, reason: 'Loop Detected' } });
  });

  it('more diversions than maxHops: 483 Too Many Hops', async () => {
    const { fwd } = setup(
      {
        alice: { unconditional: 'bob' },
        bob: { unconditional: 'carol' },
        carol: { unconditional: 'dave' },
      },
      { maxHops: 2 },
    );
    expect(await fwd.route(invite('alice'))).toEqual({
      reply: { status: 483, reason: 'Too Many Hops' },
    });
  });

  it('busy: a 486 from the user’s phones moves the call to the busy target, cause 486', async () => {
    const { fwd } = setup({ alice: { busy: 'bob' } });
    const req = invite('alice');
    await fwd.route(req);
    expect(fwd.owns(req)).toBe(true);
    const next = await fail(fwd, req, 486);
    expect(next[0]!.uri).toBe('sip:bob@10.0.0.1:5002');
    expect(header(next[0], 'History-Info')).toBe(
      `<sip:alice@${D}>;index=1, <sip:bob@${D};cause=486>;index=1.1;mp=1`,
    );
    // forwarded once: a later failure of bob's phones is not alice's to forward again
    expect(await fail(fwd, req, 486)).toEqual([]);
    fwd.callEnded(req.callId);
    expect(fwd.cdrFields(req.callId)).toEqual({
      forwarding: {
        diversions: [{ from: `sip:alice@${D}`, to: `sip:bob@${D}`, reason: 'busy' }],
      },
    });
  });

  it('busy: a 600 Busy Everywhere forwards like a 486 (default busyStatuses)', async () => {
    const { fwd } = setup({ alice: { busy: 'bob' } });
    const req = invite('alice');
    await fwd.route(req);
    const next = await fail(fwd, req, 600);
    expect(next[0]!.uri).toBe('sip:bob@10.0.0.1:5002');
    expect(header(next[0], 'History-Info')).toContain(`<sip:bob@${D};cause=486>`);
  });

  it('busyStatuses [486]: a 600 ends the call as RFC 3261 §16.7 item 5 says', async () => {
    const { fwd } = setup({ alice: { busy: 'bob' } }, { busyStatuses: [486] });
    const req = invite('alice');
    await fwd.route(req);
    expect(await fail(fwd, req, 600)).toEqual([]);
  });

  it('a 6xx that is not busy ends the call, even when another phone was unreachable', async () => {
    const { fwd } = setup({ alice: { busy: 'bob', unreachable: 'carol' } });
    const req = invite('alice');
    await fwd.route(req);
    expect(await fail(fwd, req, 480, 603)).toEqual([]);
  });

  it('after a forward only the new user’s answers count: alice’s 486 does not make bob busy', async () => {
    const { fwd } = setup({ alice: { busy: 'bob' }, bob: { busy: 'carol' } });
    const req = invite('alice');
    await fwd.route(req);
    expect((await fail(fwd, req, 486))[0]!.uri).toBe('sip:bob@10.0.0.1:5002');
    // bob's phone: 480 (unreachable; bob forwards only on busy) → nothing more
    expect(await fail(fwd, req, 486, 480)).toEqual([]);
  });

  it('no answer after N s: the branches get N s of ringing; a 408 after N s goes to the no-answer target', async () => {
    const { fwd } = setup({ alice: { noAnswer: 'carol', noAnswerSeconds: 5, unreachable: 'bob' } });
    const req = invite('alice');
    const out = await fwd.route(req);
    expect('targets' in out && out.targets[0]!.timeout).toBe(5000);
    vi.advanceTimersByTime(5000);
    const next = await fail(fwd, req, 408);
    expect(next[0]!.uri).toBe('sip:carol@10.0.0.1:5003');
    expect(header(next[0], 'History-Info')).toContain(`<sip:carol@${D};cause=408>`);
  });

  it('a 408 before N s (the phone never answered the INVITE) counts as unreachable', async () => {
    const { fwd } = setup({ alice: { noAnswer: 'carol', noAnswerSeconds: 5, unreachable: 'bob' } });
    const req = invite('alice');
    await fwd.route(req);
    vi.advanceTimersByTime(1000);
    expect((await fail(fwd, req, 408))[0]!.uri).toBe('sip:bob@10.0.0.1:5002');
  });

  it('unreachable: not registered → the unreachable target at once (cause 503)', async () => {
    const { fwd } = setup({ dave: { unreachable: 'bob' } });
    const out = await fwd.route(invite('dave'));
    if (!('targets' in out)) throw new Error('expected targets');
    expect(out.targets[0]!.uri).toBe('sip:bob@10.0.0.1:5002');
    expect(header(out.targets[0], 'History-Info')).toContain(`cause=503`);
  });

  it('a 404 or 603 from the phones is not forwarded', async () => {
    const { fwd } = setup({ alice: { busy: 'bob', unreachable: 'carol' } });
    const req = invite('alice');
    await fwd.route(req);
    expect(await fail(fwd, req, 404)).toEqual([]);
  });

  it('an external number goes through LCR, the History-Info on the carrier attempt', async () => {
    const { fwd, lcr } = setup({ alice: { busy: '+44 20 7946 0000' } });
    const req = invite('alice');
    await fwd.route(req);
    const next = await fail(fwd, req, 486);
    expect(next[0]!.uri).toBe('sip:442079460000@10.0.0.50:5060');
    expect(header(next[0], 'History-Info')).toBe(
      `<sip:alice@${D}>;index=1, <tel:+442079460000;cause=486>;index=1.1;mp=1`,
    );
    expect(lcr.owns(req)).toBe(true);
  });

  it('targetOf: numbers, SIP/tel URIs, bare users', () => {
    expect(targetOf('+1 (555) 123-4567', `sip:a@${D}`)).toEqual({
      kind: 'number',
      number: '+15551234567',
    });
    expect(targetOf('tel:+4420', `sip:a@${D}`)).toEqual({ kind: 'number', number: '+4420' });
    expect(targetOf('sip:Bob@Other.example', `sip:a@${D}`)).toEqual({
      kind: 'user',
      aor: 'sip:Bob@other.example',
    });
    expect(targetOf('bob', `sip:a@${D}`)).toEqual({ kind: 'user', aor: `sip:bob@${D}` });
    expect(targetOf('<bad>', `sip:a@${D}`)).toBeNull();
  });
});
