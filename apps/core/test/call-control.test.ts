/**
 * Core-originated requests against a recorded dialog (issue #14), on the wire: a real
 * transport + transaction layer on loopback send what CallControl asks for to two UDP
 * sockets standing in for the edge (the caller's next hop) and the callee. Asserted per
 * request: Request-URI (remote target), Route (the hops after this core), CSeq (the
 * impersonated party's space, last + 1), tags, and the Via the transaction layer pushed.
 */
import dgram from 'node:dgram';
import { transportListeners } from '@strata/config';
import {
  CallbackCdrSink,
  CdrWriter,
  DialogTracker,
  MemoryDialogStore,
  ownRouteMatcher,
  type CdrRecord,
} from '@strata/dialog';
import { parseMessage, SipRequest } from '@strata/parser';
import { TransactionLayer } from '@strata/transaction';
import { SipTransport } from '@strata/transport';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { actionsConfigSchema } from '../src/actions/actions-config.js';
import { CallControl } from '../src/actions/call-control.js';
import type { CallEvent } from '../src/events/call-event.js';
import { CallEvents } from '../src/events/call-events.js';
import { featuresConfigSchema } from '../src/features/features-config.js';
import { TransactionDialogSender } from '../src/dialogs/transaction-sender.js';
import { recordedDialog, type FixturePorts } from './support/dialog-fixture.js';

const log = pino({ level: 'silent' });

/** A UDP socket that records requests and answers them (200 unless told otherwise). */
class Ua {
  readonly requests: SipRequest[] = [];
  private readonly waiters: (() => void)[] = [];
  readonly status = new Map<string, number>();
  private constructor(readonly sock: dgram.Socket) {
    sock.on('message', (buf, rinfo) => {
      const msg = parseMessage(buf, { framing: 'datagram' });
      if (!(msg instanceof SipRequest)) return;
      this.requests.push(msg);
      for (const w of this.waiters.splice(0)) w();
      if (msg.method === 'ACK') return;
      const st = this.status.get(msg.method) ?? 200;
      const h = msg.headers;
      const to = h.get('to')!;
      const lines = [
        `SIP/2.0 ${st} ${st === 202 ? 'Accepted' : 'OK'}`,
        ...h.values('via').map((v) => `Via: ${v}`),
        `From: ${h.get('from')}`,
        `To: ${to}`,
        `Call-ID: ${msg.callId}`,
        `CSeq: ${h.get('cseq')}`,
        'Content-Length: 0',
        '',
        '',
      ];
      sock.send(lines.join('\r\n'), rinfo.port, rinfo.address);
    });
  }
  static async open(): Promise<Ua> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    return new Ua(s);
  }
  get port(): number {
    return this.sock.address().port;
  }
  async next(method: string, timeoutMs = 3000): Promise<SipRequest> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.requests.find((r) => r.method === method);
      if (hit !== undefined) {
        this.requests.splice(this.requests.indexOf(hit), 1);
        return hit;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${method} within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }
  close(): void {
    this.sock.close();
  }
}

let transport: SipTransport;
let layer: TransactionLayer;
let edge: Ua;
let callee: Ua;
let ports: FixturePorts;
let store: MemoryDialogStore;
let tracker: DialogTracker;
let control: CallControl;
let cdrs: CdrRecord[];
let events: CallEvent[];

let media: { group: string; uri: string } | null = null;

async function setup(
  features: Record<string, unknown> = {},
  actions: Record<string, unknown> = {},
): Promise<void> {
  transport = new SipTransport({
    listeners: transportListeners([{ transport: 'udp', host: '127.0.0.1', port: 0 }]),
    logger: log,
  });
  await transport.start();
  layer = new TransactionLayer({ transport, logger: log, config: { t1: 50, t2: 400, t4: 500 } });
  edge = await Ua.open();
  callee = await Ua.open();
  const corePort = transport.listeners()[0]!.port;
  ports = { edge: edge.port, core: corePort, caller: 1, callee: callee.port };
  store = new MemoryDialogStore({ node: 'core-1', sweepIntervalMs: 0 });
  cdrs = [];
  tracker = new DialogTracker({
    node: 'core-1',
    store,
    sender: new TransactionDialogSender(layer),
    cdr: new CdrWriter({
      store,
      sinks: [new CallbackCdrSink((r) => void cdrs.push(r))],
      coreNode: 'core-1',
    }),
    isOwnRoute: ownRouteMatcher([`127.0.0.1:${corePort}`]),
    keepaliveIntervalMs: 0,
  });
  events = [];
  const callEvents = new CallEvents('core-1', [], log);
  callEvents.onEvent((e) => events.push(e));
  control = new CallControl({
    tracker,
    store,
    events: callEvents,
    actions: actionsConfigSchema.parse({ transferHangupDelayMs: 0, referWaitMs: 2000, ...actions }),
    features: featuresConfigSchema.parse(features),
    logger: log,
    mediaServerOf: () => media,
    parkServer: () => 'sip:127.0.0.1:5080',
  });
  control.start();
}

beforeEach(async () => {
  media = null;
  await setup({
    codes: [
      { code: '*2', action: 'transfer', collect: true },
      { code: '*0', action: 'park' },
    ],
  });
});

async function teardown(): Promise<void> {
  control.stop();
  await tracker.close();
  layer.close();
  await transport.stop();
  edge.close();
  callee.close();
}

afterEach(teardown);

/** The recorded dialog with the caller's next hop being the edge socket, stored. */
async function recorded(): Promise<ReturnType<typeof recordedDialog>> {
  const s = { ...recordedDialog(ports), answeredAt: Date.now() - 5000 };
  expect((await store.put(s)).ok).toBe(true);
  return s;
}

function viaOf(req: SipRequest): string {
  return req.headers.values('via')[0]!;
}

/** A request from one party of the dialog, as the core would relay it. */
function inDialog(
  s: ReturnType<typeof recordedDialog>,
  method: string,
  seq: number,
  ct: string,
  body: string,
): SipRequest {
  const text = [
    `${method} sip:127.0.0.1:${ports.callee} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${ports.edge};branch=z9hG4bK-${method}-${seq}`,
    `From: <${s.caller.uri}>;tag=${s.fromTag}`,
    `To: <${s.callee.uri}>;tag=${s.toTag}`,
    `Call-ID: ${s.callId}`,
    `CSeq: ${seq} ${method}`,
    'Max-Forwards: 69',
    `Content-Type: ${ct}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
  return parseMessage(Buffer.from(text), { framing: 'datagram' }) as SipRequest;
}

describe('core-originated requests (recorded dialog, real transaction layer)', () => {
  it('end: BYE to both legs — remote target, route set after this core, CSeq last + 1 per direction, own Via', async () => {
    const s = await recorded();
    expect(await control.end(s.id)).toBe(true);
    const [toCallee, toCaller] = await Promise.all([callee.next('BYE'), edge.next('BYE')]);

    expect(toCallee.uri).toBe(`sip:127.0.0.1:${ports.callee};transport=UDP`);
    expect(toCallee.headers.values('route')).toEqual([]); // this core is the last hop
    expect(toCallee.cseq).toEqual({ seq: 2, method: 'BYE' }); // caller's space: INVITE 1 + 1
    expect([toCallee.fromTag, toCallee.toTag]).toEqual([s.fromTag, s.toTag]);
    expect(toCallee.headers.get('max-forwards')).toBe('70');
    expect(viaOf(toCallee)).toMatch(
      new RegExp(`^SIP/2\\.0/UDP 127\\.0\\.0\\.1:${ports.core};branch=z9hG4bK`),
    );
    expect(toCallee.headers.values('via')).toHaveLength(1);

    expect(toCaller.uri).toBe(`sip:sipp@127.0.0.1:${ports.caller};transport=UDP`);
    expect(toCaller.headers.values('route')).toEqual([
      `<sip:127.0.0.1:${ports.edge};transport=udp;lr;ftag=x>`,
    ]);
    expect(toCaller.cseq).toEqual({ seq: 1, method: 'BYE' }); // callee's space: none yet + 1
    expect([toCaller.fromTag, toCaller.toTag]).toEqual([s.toTag, s.fromTag]);
    expect(viaOf(toCaller)).toMatch(
      new RegExp(`^SIP/2\\.0/UDP 127\\.0\\.0\\.1:${ports.core};branch=z9hG4bK`),
    );
    expect(viaOf(toCaller)).not.toBe(viaOf(toCallee)); // a branch per transaction

    await tracker.settled();
    expect(cdrs).toEqual([
      expect.objectContaining({ hangupParty: 'proxy', hangupReason: 'admin' }),
    ]);
    expect(events.map((e) => e.type)).toEqual(['ended']);
    expect(await store.get(s.id)).toBeNull();
    expect(await control.end(s.id)).toBe(false);
  });

  it('transfer the callee: REFER (Refer-To, Referred-By, Contact), 202, NOTIFY sipfrag 200 → outcome, then BYE both legs', async () => {
    const s = await recorded();
    callee.status.set('REFER', 202);
    const pending = control.transfer(s.id, 'callee', 'sip:carol@127.0.0.1:5999');
    const refer = await callee.next('REFER');
    expect(refer.uri).toBe(`sip:127.0.0.1:${ports.callee};transport=UDP`);
    expect(refer.cseq).toEqual({ seq: 2, method: 'REFER' });
    expect(refer.headers.get('refer-to')).toBe('<sip:carol@127.0.0.1:5999>');
    expect(refer.headers.get('referred-by')).toBe(`<${s.caller.uri}>`);
    expect(refer.headers.get('contact')).toBe(`<${s.caller.contact}>`);
    // the callee's NOTIFYs travel to the caller through this core; the tracker reads them
    await tracker.onRequest(inDialogFromCallee(s, 'NOTIFY', 1, 'SIP/2.0 100 Trying'));
    await tracker.onRequest(inDialogFromCallee(s, 'NOTIFY', 2, 'SIP/2.0 200 OK'));
    expect(await pending).toEqual({
      refer: { status: 202 },
      notify: 200,
      referTo: 'sip:carol@127.0.0.1:5999',
    });
    const [byeCallee, byeCaller] = await Promise.all([callee.next('BYE'), edge.next('BYE')]);
    expect(byeCallee.cseq).toEqual({ seq: 3, method: 'BYE' }); // after the REFER's 2
    expect(byeCaller.cseq).toEqual({ seq: 3, method: 'BYE' }); // after the callee's NOTIFY 2
    await tracker.settled();
    expect(cdrs[0]).toMatchObject({
      hangupParty: 'transfer',
      referTo: 'sip:carol@127.0.0.1:5999',
      referStatus: 200,
    });
    expect(events.map((e) => [e.type, e.data['status'] ?? null, e.data['by'] ?? null])).toEqual([
      ['transferred', null, 'core'],
      ['transferred', 100, 'core'],
      ['transferred', 200, 'core'],
      ['ended', null, null],
    ]);
  });

  it('transfer refused by the referee (603): answered with the REFER status, the call stays up', async () => {
    const s = await recorded();
    callee.status.set('REFER', 603);
    const r = await control.transfer(s.id, 'callee', '1002');
    expect(r).toEqual({
      refer: { status: 603 },
      notify: null,
      referTo: `sip:1002@127.0.0.1:${ports.edge}`,
    });
    expect(await store.get(s.id)).toMatchObject({
      state: 'confirmed',
      transfer: { referStatus: 603 },
    });
    expect(await control.transfer('nope', 'callee', '1')).toEqual({ error: 'no-such-dialog' });
    expect(await control.transfer(s.id, 'callee', 'bad target')).toEqual({ error: 'bad-target' });
  });

  it('hold: re-INVITE a=sendonly to one party with the next CSeq, ACK for its 200; resume sendrecv', async () => {
    const s = await recorded();
    const sdp =
      'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n';
    expect(await control.hold(s.id, 'callee', sdp, true)).toEqual({ reinvite: { status: 200 } });
    const inv = await callee.next('INVITE');
    expect(inv.cseq).toEqual({ seq: 2, method: 'INVITE' });
    expect(inv.body.toString()).toContain('a=sendonly');
    expect(inv.body.toString()).not.toContain('a=sendrecv');
    const ack = await callee.next('ACK');
    expect(ack.cseq).toEqual({ seq: 2, method: 'ACK' });
    expect(viaOf(ack)).toMatch(/branch=z9hG4bK/);
    expect(viaOf(ack)).not.toBe(viaOf(inv)); // ACK for a 2xx is its own transaction (§13.2.2.4)
    expect(await control.hold(s.id, 'callee', sdp, false)).toEqual({ reinvite: { status: 200 } });
    const resume = await callee.next('INVITE');
    expect(resume.cseq).toEqual({ seq: 3, method: 'INVITE' });
    expect(resume.body.toString()).toContain('a=sendrecv');
    expect(events.map((e) => [e.type, e.data['holder'], e.data['by']])).toEqual([
      ['held', 'caller', 'core'],
      ['resumed', 'caller', 'core'],
    ]);
  });

  it('hold without an SDP: the peer’s last SDP the core relayed, o= version + 1, sendonly; none known → no-sdp', async () => {
    const s = await recorded();
    expect(await control.hold(s.id, 'callee', null, true)).toEqual({ error: 'no-sdp' });
    const callerSdp =
      'v=0\r\no=- 77 5 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
    control.sdp.request(
      parseMessage(
        Buffer.from(
          [
            `INVITE sip:bob@127.0.0.1 SIP/2.0`,
            'Via: SIP/2.0/UDP 127.0.0.1:7000;branch=z9hG4bK-h1',
            `From: <${s.caller.uri}>;tag=${s.fromTag}`,
            `To: <${s.callee.uri}>`,
            `Call-ID: ${s.callId}`,
            'CSeq: 1 INVITE',
            'Content-Type: application/sdp',
            `Content-Length: ${callerSdp.length}`,
            '',
            callerSdp,
          ].join('\r\n'),
        ),
        { framing: 'datagram' },
      ) as SipRequest,
    );
    expect(await control.hold(s.id, 'callee', null, true)).toEqual({ reinvite: { status: 200 } });
    const inv = await callee.next('INVITE');
    expect(inv.body.toString()).toContain('o=- 77 6 IN IP4 10.1.1.1');
    expect(inv.body.toString()).toContain('a=sendonly');
    await callee.next('ACK');
    expect(await control.hold(s.id, 'callee', null, false)).toEqual({ reinvite: { status: 200 } });
    const resume = await callee.next('INVITE');
    expect(resume.body.toString()).toContain('o=- 77 7 IN IP4 10.1.1.1');
    expect(resume.body.toString()).toContain('a=sendrecv');
  });

  it('policy: max duration lowered below a call’s age ends it (BYE both, CDR reason policy); a younger call gets the new limit', async () => {
    const old = await recorded();
    const young = {
      ...recordedDialog(ports),
      callId: 'young@x',
      id: 'young-id',
      answeredAt: Date.now(),
    };
    await store.put(young);
    const r = await control.setMaxDuration(3, true);
    expect(r).toEqual({ ended: [old.id], updated: ['young-id'] });
    await Promise.all([callee.next('BYE'), edge.next('BYE')]);
    await tracker.settled();
    expect(cdrs).toEqual([
      expect.objectContaining({ hangupParty: 'max-duration', hangupReason: 'policy' }),
    ]);
    expect((await store.get('young-id'))?.timers.maxDurationAt).toBe(young.answeredAt + 3000);
    expect(control.policy.maxDurationSeconds(0, 0)).toBe(3);
    expect(control.policy.maxDurationSeconds(60, 0)).toBe(3);
    await control.setMaxDuration(null, true);
    expect(control.policy.maxDurationSeconds(60, 0)).toBe(60);
  });

  it('policy: a concurrency limit lowered with applyToActive ends the newest calls over it, per key', async () => {
    const base = recordedDialog(ports);
    const mk = (n: number, key: string) => ({
      ...base,
      id: `c${n}-id`,
      callId: `c${n}@x`,
      createdAt: base.createdAt + n,
      profileKeys: [key],
    });
    for (const d of [
      mk(1, 'route:calls'),
      mk(2, 'route:calls'),
      mk(3, 'route:calls'),
      mk(4, 'route:other'),
    ])
      await store.put(d);
    expect(await control.enforceConcurrency('calls', 1)).toEqual({ ended: ['c2-id', 'c3-id'] });
    await tracker.settled();
    expect(cdrs.map((c) => [c.callId, c.hangupParty, c.hangupReason])).toEqual([
      ['c2@x', 'proxy', 'policy'],
      ['c3@x', 'proxy', 'policy'],
    ]);
    expect(await store.get('c1-id')).not.toBeNull();
    expect(await store.get('c4-id')).not.toBeNull();
  });

  it('DTMF INFO *21002# from the caller: dtmf events, then the callee is REFERred to 1002 at the callee domain', async () => {
    const s = await recorded();
    callee.status.set('REFER', 202);
    let seq = 2;
    for (const d of '*21002#')
      control.onInfo(
        inDialog(s, 'INFO', seq++, 'application/dtmf-relay', `Signal=${d}\r\nDuration=160\r\n`),
        s.id,
        'caller',
      );
    const refer = await callee.next('REFER');
    expect(refer.headers.get('refer-to')).toBe(`<sip:1002@127.0.0.1:${ports.edge}>`);
    const dtmf = events.filter((e) => e.type === 'dtmf');
    expect(dtmf.map((e) => e.data['digit']).join('')).toBe('*21002#');
    expect(dtmf[0]!.data).toEqual({ side: 'caller', digit: '*', durationMs: 160, source: 'info' });
    // not DTMF, or garbage: ignored
    control.onInfo(inDialog(s, 'INFO', 20, 'application/sdp', 'v=0'), s.id, 'caller');
    control.onInfo(inDialog(s, 'INFO', 21, 'application/dtmf-relay', 'Signal=zz'), s.id, 'caller');
    expect(control.counters.dtmf).toBe(7);
  });

  it('*0 from the callee parks the caller: REFER to park-701 on the media server, NOTIFY 200 → parked; an INVITE to 701 is routed there', async () => {
    const s = await recorded();
    control.onInfo(inDialog(s, 'INFO', 2, 'application/dtmf', '*'), s.id, 'callee');
    control.onInfo(inDialog(s, 'INFO', 3, 'application/dtmf', '0'), s.id, 'callee');
    const refer = await edge.next('REFER'); // towards the caller, via the edge
    expect(refer.headers.get('refer-to')).toBe('<sip:park-701@127.0.0.1:5080>');
    // the caller's NOTIFY (through this core) says the park extension answered
    await tracker.onRequest(notifyFromCaller(s, 2, 'SIP/2.0 200 OK'));
    const parked = await waitFor(() => events.find((e) => e.type === 'parked'));
    expect(parked.data).toEqual({
      slot: '701',
      server: 'sip:127.0.0.1:5080',
      parked: 'caller',
      by: 'feature',
    });
    expect(await control.parkSlots.list()).toMatchObject([{ slot: '701', callId: s.callId }]);
    // the parked party's own INVITE to park-701 carries the parker (the media server's ring-back)
    const toPark = parseMessage(
      Buffer.from(
        [
          'INVITE sip:park-701@127.0.0.1:5060 SIP/2.0',
          'Via: SIP/2.0/UDP 127.0.0.1:7001;branch=z9hG4bK-p1',
          'From: <sip:bob@127.0.0.1>;tag=b9',
          'To: <sip:park-701@127.0.0.1:5060>',
          'Call-ID: topark@x',
          'CSeq: 1 INVITE',
          'X-Strata-Parker: <sip:mallory@evil>',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
      ),
      { framing: 'datagram' },
    ) as SipRequest;
    control.markInvite(toPark, null, true);
    expect(toPark.headers.has('x-strata-parker')).toBe(false); // a client's copy never passes
    expect(await control.mediaHeaders(toPark)).toEqual([['X-Strata-Parker', s.callee.uri]]);
    await Promise.all([callee.next('BYE'), edge.next('BYE')]); // the parker's call ends
    const retrieve = parseMessage(
      Buffer.from(
        [
          'INVITE sip:701@127.0.0.1:5060 SIP/2.0',
          'Via: SIP/2.0/UDP 127.0.0.1:7000;branch=z9hG4bK-r1',
          'From: <sip:dave@127.0.0.1>;tag=d1',
          'To: <sip:701@127.0.0.1:5060>',
          'Call-ID: retrieve@x',
          'CSeq: 1 INVITE',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
      ),
      { framing: 'datagram' },
    ) as SipRequest;
    expect(await control.retrieveParked(retrieve)).toEqual({
      action: 'relay',
      targets: [
        {
          uri: 'sip:701@127.0.0.1:5080',
          destination: expect.objectContaining({ address: '127.0.0.1', port: 5080 }) as unknown,
        },
      ],
    });
    expect(await control.retrieveParked(retrieve)).toBeNull(); // taken
    expect(await control.parkSlots.list()).toEqual([]);
  });

  it('park refused by the park extension (NOTIFY 486): slot released, no parked event', async () => {
    const s = await recorded();
    callee.status.set('REFER', 202);
    const pending = control.park(s.id, 'callee');
    await callee.next('REFER');
    await tracker.onRequest(inDialogFromCallee(s, 'NOTIFY', 1, 'SIP/2.0 486 Busy Here'));
    expect(await pending).toMatchObject({ slot: null, notify: 486 });
    expect(await control.parkSlots.reserve('sip:alice@x')).toBe('701');
    expect(events.some((e) => e.type === 'parked')).toBe(false);
  });
});

describe('recording triggers', () => {
  function invite(
    extra: string[] = [],
    user = 'bob',
    callId = recordedDialog().callId,
  ): SipRequest {
    return parseMessage(
      Buffer.from(
        [
          `INVITE sip:${user}@127.0.0.1 SIP/2.0`,
          'Via: SIP/2.0/UDP 127.0.0.1:7000;branch=z9hG4bK-i1',
          'From: <sip:alice@127.0.0.1>;tag=a1',
          `To: <sip:${user}@127.0.0.1>`,
          `Call-ID: ${callId}`,
          'CSeq: 1 INVITE',
          ...extra,
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
      ),
      { framing: 'datagram' },
    ) as SipRequest;
  }

  it('a route with record: X-Strata-Record on the media INVITE; started at answer, stopped at the end', () => {
    const req = invite(['X-Strata-Record: ../../etc/passwd']);
    control.recording.mark(req, { record: false }, true);
    expect(req.headers.has('x-strata-record')).toBe(false); // a client's copy never passes
    expect(control.recording.headers(req)).toEqual([]);
    const marked = invite();
    control.recording.mark(marked, { record: true }, true);
    expect(control.recording.headers(marked)).toEqual([
      ['X-Strata-Record', 'strata-1-4242_127.0.0.1.wav'],
    ]);
    media = { group: 'media', uri: 'sip:127.0.0.1:5080' };
    const s = recordedDialog(ports);
    control.recording.confirmed(s);
    control.recording.terminated(s);
    expect(events.map((e) => [e.type, e.data])).toEqual([
      [
        'recording-started',
        {
          file: 'strata-1-4242_127.0.0.1.wav',
          server: 'sip:127.0.0.1:5080',
          trigger: 'route',
          by: 'core',
        },
      ],
      [
        'recording-stopped',
        { file: 'strata-1-4242_127.0.0.1.wav', server: 'sip:127.0.0.1:5080', reason: 'call ended' },
      ],
    ]);
  });

  it('marked but not routed through a media server: a clear refusal, not a silent no-op', () => {
    control.recording.mark(invite(), { record: true }, true);
    control.recording.confirmed(recordedDialog(ports));
    expect(events.map((e) => [e.type, e.data['reason']])).toEqual([
      ['action-refused', 'not routed through a media server'],
    ]);
  });

  it('per user: users matching actions.recording.users are recorded', async () => {
    await teardown();
    await setup({}, { recording: { users: ['^bob$'] } });
    const bob = invite([], 'bob');
    const carol = invite([], 'carol', 'c2@x');
    const untracked = invite([], 'bob', 'c3@x');
    control.recording.mark(bob, {}, true);
    control.recording.mark(carol, {}, true);
    control.recording.mark(untracked, {}, false); // not dialog-tracked: never marked
    expect(control.recording.headers(bob)).toHaveLength(1);
    expect(control.recording.headers(carol)).toEqual([]);
    expect(control.recording.headers(untracked)).toEqual([]);
  });

  it('mid-call start: the media server one-touch code as DTMF INFO to the media leg; refused off-media', async () => {
    await teardown();
    await setup({}, { recording: { mediaFeatureCode: '*1' } });
    const s = await recorded();
    expect(await control.recording.toggle(s.id, true, 'admin')).toEqual({ error: 'not-via-media' });
    media = { group: 'media', uri: `sip:127.0.0.1:${ports.callee}` };
    expect(await control.recording.toggle(s.id, true, 'admin')).toEqual({
      server: `sip:127.0.0.1:${ports.callee}`,
    });
    const infos = [await callee.next('INFO'), await callee.next('INFO')];
    expect(infos.map((i) => i.body.toString())).toEqual([
      'Signal=*\r\nDuration=160\r\n',
      'Signal=1\r\nDuration=160\r\n',
    ]);
    expect(infos.map((i) => i.cseq.seq)).toEqual([2, 3]);
    expect(events.map((e) => e.type)).toEqual(['action-refused', 'recording-started']);
  });
});

function notifyFromCaller(
  s: ReturnType<typeof recordedDialog>,
  seq: number,
  frag: string,
): SipRequest {
  const text = [
    `NOTIFY ${s.callee.contact} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${ports.edge};branch=z9hG4bK-c${seq}`,
    `From: <${s.caller.uri}>;tag=${s.fromTag}`,
    `To: <${s.callee.uri}>;tag=${s.toTag}`,
    `Call-ID: ${s.callId}`,
    `CSeq: ${seq} NOTIFY`,
    'Event: refer',
    'Subscription-State: terminated',
    'Content-Type: message/sipfrag;version=2.0',
    `Content-Length: ${Buffer.byteLength(frag)}`,
    '',
    frag,
  ].join('\r\n');
  return parseMessage(Buffer.from(text), { framing: 'datagram' }) as SipRequest;
}

function inDialogFromCallee(
  s: ReturnType<typeof recordedDialog>,
  method: string,
  seq: number,
  frag: string,
): SipRequest {
  const text = [
    `${method} ${s.caller.contact} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${ports.callee};branch=z9hG4bK-n${seq}`,
    `From: <${s.callee.uri}>;tag=${s.toTag}`,
    `To: <${s.caller.uri}>;tag=${s.fromTag}`,
    `Call-ID: ${s.callId}`,
    `CSeq: ${seq} ${method}`,
    'Event: refer',
    'Subscription-State: active',
    'Content-Type: message/sipfrag;version=2.0',
    `Content-Length: ${Buffer.byteLength(frag)}`,
    '',
    frag,
  ].join('\r\n');
  return parseMessage(Buffer.from(text), { framing: 'datagram' }) as SipRequest;
}

async function waitFor<T>(f: () => T | undefined, ms = 2000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
