/**
 * Issue #14 through real processes on loopback (redis-server, edge, core, sipp UAs, an
 * HTTP webhook receiver in this test): call events in order on the Redis Stream and at
 * the webhook; admin end of a call; admin transfer of the callee to a third UA; a DTMF
 * INFO feature code (*2<number>#) that transfers the other party; max duration lowered
 * mid-call ends the call (CDR reason policy); a dead webhook changes nothing for calls.
 * No Asterisk here: the media group is a sipp UAS (a stand-in; park and recording need
 * the real media layer and are not tested here).
 */
import { join } from 'node:path';
import { createRedisClient, type RedisClient } from '@strata/redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CallEvent } from '../../src/events/call-event.js';
import {
  freeUdpPorts,
  killAll,
  listening,
  readCdrs,
  sipp,
  startCore,
  startEdge,
  stopProcess,
  tempDir,
  uas,
  until,
  type AppProcess,
  type SippRun,
  httpRequest,
  edgeSeesCoresUp,
} from './support/harness.js';
import { EventSink, streamEvents } from './support/event-sink.js';
import { TestRedis } from './support/redis.js';

const TOKEN = 'test-admin-token-14';
const dir = tempDir('call-control');
let edge: AppProcess;
let core: AppProcess;
let redisServer: TestRedis;
let redis: RedisClient;
let hook: EventSink | undefined;
const hooked: CallEvent[] = [];
let P: Record<string, number>;
const runs: SippRun[] = [];

async function admin(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await httpRequest(core.statusPort, method, `/admin${path}`, {
    ...(body === undefined ? {} : { body }),
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  return {
    status: r.status,
    json: (r.body === '' ? {} : JSON.parse(r.body)) as Record<string, unknown>,
  };
}

const ofCall = (events: CallEvent[], callId: string): string[] =>
  events.filter((e) => e.callId === callId).map((e) => e.type);

const cdrs = (): Record<string, unknown>[] => readCdrs(join(dir, 'core-1-cdr.jsonl'));

function caller(
  scenario: string,
  user: string,
  extra: string[] = [],
  port = P['caller']!,
): SippRun {
  const r = sipp(scenario, port, ['-s', user, '-m', '1', ...extra, `127.0.0.1:${P['edge']}`], {
    cwd: dir,
    timeoutS: 25,
  });
  runs.push(r);
  return r;
}

function uasOn(scenario: string, port: number): SippRun {
  const r = uas(scenario, port, 1, dir);
  runs.push(r);
  return r;
}

/** The confirmed dialog of `user` as the admin API lists it. */
async function confirmed(
  user: string,
): Promise<{ id: string; callId: string; answeredAt: number }> {
  return until(
    `${user}'s call confirmed`,
    async () => {
      const r = await admin('GET', `/dialogs?user=${user}&state=confirmed`);
      const list = r.json['dialogs'] as { id: string; callId: string; answeredAt: number }[];
      return list[0];
    },
    8000,
  );
}

beforeAll(async () => {
  const names = ['edge', 'core', 'media', 'caller', 'carol', 'bnew', 'bphone', 'dead', 'third'];
  const ports = await freeUdpPorts(names.length);
  P = Object.fromEntries(names.map((n, i) => [n, ports[i]!]));
  redisServer = await TestRedis.start();
  redis = createRedisClient({ mode: 'standalone', host: '127.0.0.1', port: redisServer.port });
  hook = await EventSink.start(hooked);
  const carol = `sip:carol@127.0.0.1:${P['carol']}`;
  core = await startCore(dir, 'core-1', P['core']!, {
    store: { kind: 'redis', redis: { host: '127.0.0.1', port: redisServer.port } },
    registrar: { natKeepaliveSeconds: 0 },
    dialog: { keepaliveIntervalSeconds: 0 },
    admin: { token: TOKEN },
    events: {
      redisStream: { enabled: true },
      webhook: {
        url: hook.url,
        maxAttempts: 2,
        backoffMs: 50,
        timeoutMs: 500,
      },
    },
    actions: { transferHangupDelayMs: 300 },
    features: {
      interDigitTimeoutMs: 2000,
      codes: [
        { code: '*2', action: 'transfer', collect: true },
        { code: '*0', action: 'park' },
      ],
    },
    routes: [
      { name: 'carol', match: { user: '^(carol|1002)$' }, targets: [{ uri: carol }] },
      { name: 'rec', match: { user: '^rec$' }, record: true, targets: [{ mediaGroup: 'media' }] },
      { name: 'recx', match: { user: '^recx$' }, record: true, targets: [{ uri: carol }] },
      {
        name: 'parkme',
        match: { user: '^parkme$' },
        targets: [{ uri: `sip:parkme@127.0.0.1:${P['bphone']}` }],
      },
      // slots: without the core's park record a call to 7xx goes nowhere (a dead port)
      {
        name: 'slots',
        match: { user: '^7[0-9][0-9]$' },
        targets: [{ uri: `sip:dead@127.0.0.1:${P['dead']}` }],
      },
      {
        name: 'calls',
        match: { methods: ['INVITE', 'MESSAGE', 'SUBSCRIBE', 'OPTIONS'] },
        targets: [{ mediaGroup: 'media' }],
      },
    ],
    mediaGroups: {
      media: { targets: [{ uri: `sip:127.0.0.1:${P['media']}` }], probe: { enabled: false } },
    },
  });
  edge = await startEdge(dir, P['edge']!, [{ id: 'core-1', port: P['core']! }]);
  await edgeSeesCoresUp(edge, 1);
}, 40_000);

afterEach(async () => {
  await Promise.all(runs.splice(0).map((r) => stopProcess(r.proc, 'SIGKILL')));
});

afterAll(async () => {
  redis?.disconnect();
  await killAll();
  await redisServer?.kill();
  await hook?.close();
});

describe('call events (Redis Stream + webhook)', () => {
  it('a call: created, ringing, answered, ended — in order, on the stream and at the webhook', async () => {
    const callee = uasOn('uas.xml', P['media']!);
    await listening(P['media']!);
    const r = await caller('uac.xml', 'events').done;
    expect(r.code, r.errors).toBe(0);
    expect((await callee.done).code).toBe(0);
    const cdr = await until('CDR', () => cdrs().find((c) => c['toUri'] !== undefined), 5000);
    const callId = String(cdr['callId']);
    const want = ['created', 'ringing', 'answered', 'ended'];
    const stream = await until(
      'events on the stream',
      async () => {
        const e = await streamEvents(redis);
        return ofCall(e, callId).length >= 4 ? e : undefined;
      },
      5000,
    );
    expect(ofCall(stream, callId)).toEqual(want);
    await until(
      'events at the webhook',
      () => (ofCall(hooked, callId).length >= 4 ? true : undefined),
      5000,
    );
    expect(ofCall(hooked, callId)).toEqual(want);
    const mine = stream.filter((e) => e.callId === callId);
    expect(mine.map((e) => e.seq)).toEqual([...mine.map((e) => e.seq)].sort((a, b) => a - b));
    expect(mine[0]).toMatchObject({ v: 1, node: 'core-1' });
    expect(mine[0]!.caller.uri).toContain('sipp@');
    expect(mine[3]!.data).toMatchObject({ party: 'caller', wasEarly: false, finalStatus: 200 });
    expect(mine[3]!.answeredAt).toBeGreaterThanOrEqual(mine[3]!.createdAt);
  });
});

describe('mid-call actions (admin API)', () => {
  it('end a call: both sipp legs get a BYE; CDR party proxy, reason admin; ended event', async () => {
    const callee = uasOn('uas.xml', P['media']!);
    await listening(P['media']!);
    const a = caller('uac-wait-bye.xml', 'endme', ['-aa']);
    const d = await confirmed('endme');
    const res = await admin('POST', '/calls/end', { callId: d.callId });
    expect(res).toEqual({ status: 200, json: { ended: d.id } });
    const [ra, rb] = await Promise.all([a.done, callee.done]);
    expect(ra.code, ra.errors).toBe(0);
    expect(rb.code, rb.errors).toBe(0);
    const cdr = await until('CDR', () => cdrs().find((c) => c['callId'] === d.callId), 5000);
    expect(cdr).toMatchObject({
      hangupParty: 'proxy',
      hangupReason: 'admin',
      disposition: 'ANSWERED',
    });
    expect((await admin('POST', '/calls/end', { callId: d.callId })).status).toBe(404);
    expect((await admin('POST', '/calls/end', {})).status).toBe(400);
  });

  it('transfer the callee to a third UA: REFER 202 + NOTIFY 200 answered, old call ended, B calls carol', async () => {
    const b = uasOn('uas-refer.xml', P['media']!);
    const carol = uasOn('uas.xml', P['carol']!);
    await Promise.all([listening(P['media']!), listening(P['carol']!)]);
    const a = caller('uac-wait-bye.xml', 'xfer', ['-aa']);
    const d = await confirmed('xfer');
    const target = `sip:carol@127.0.0.1:${P['edge']}`;
    const res = await admin('POST', '/calls/transfer', {
      callId: d.callId,
      side: 'callee',
      target,
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      ok: true,
      refer: { status: 202 },
      notify: 200,
      referTo: target,
    });
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, ra.errors).toBe(0); // got the NOTIFY (auto 200) and the core's BYE
    expect(rb.code, rb.errors).toBe(0); // REFER, 202, NOTIFY, then the core's BYE
    const cdr = await until('CDR', () => cdrs().find((c) => c['callId'] === d.callId), 5000);
    expect(cdr).toMatchObject({ hangupParty: 'transfer', referTo: target, referStatus: 200 });
    // B (the transferee) places the new call to the Refer-To target, naming the transferor
    const placed = caller(
      'uac-referred.xml',
      'carol',
      ['-d', '100', '-key', 'referred_by', String(cdr['fromUri'])],
      P['bnew'],
    );
    const r2 = await placed.done;
    expect(r2.code, r2.errors).toBe(0);
    expect((await carol.done).code).toBe(0);
    // events go out through a queue: wait for the last one (the NOTIFY's 200)
    const xfer = await until(
      'transferred events',
      async () => {
        const x = (await streamEvents(redis)).filter(
          (e) => e.callId === d.callId && e.type === 'transferred',
        );
        return x.some((e) => e.data['status'] === 200) ? x : undefined;
      },
      5000,
    );
    expect(xfer.map((e) => [e.data['by'], e.data['status'], e.data['referee']])).toEqual([
      ['core', null, 'callee'],
      ['core', 200, 'callee'],
    ]);
  });

  it('hold and resume the callee without giving an SDP: re-INVITEs sendonly then sendrecv (the caller’s SDP), held/resumed events', async () => {
    const b = uasOn('uas-held.xml', P['media']!);
    await listening(P['media']!);
    const a = caller('uac-wait-bye.xml', 'holdme', ['-aa']);
    const d = await confirmed('holdme');
    const held = await admin('POST', '/calls/hold', { callId: d.callId, side: 'callee' });
    expect(held).toEqual({
      status: 200,
      json: { ok: true, dialogId: d.id, reinvite: { status: 200 } },
    });
    const resumed = await admin('POST', '/calls/hold', {
      callId: d.callId,
      side: 'callee',
      hold: false,
    });
    expect(resumed.json).toMatchObject({ ok: true, reinvite: { status: 200 } });
    await admin('POST', '/calls/end', { callId: d.callId });
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, ra.errors).toBe(0);
    expect(rb.code, rb.errors).toBe(0); // check_it: a=sendonly, then a=sendrecv
    const stream = await streamEvents(redis);
    expect(
      stream
        .filter((e) => e.callId === d.callId && (e.type === 'held' || e.type === 'resumed'))
        .map((e) => [e.type, e.data['holder'], e.data['by']]),
    ).toEqual([
      ['held', 'caller', 'core'],
      ['resumed', 'caller', 'core'],
    ]);
  });

  it('DTMF INFO *21002# from the caller: INFOs relayed, dtmf events, the callee is transferred to 1002', async () => {
    const b = uasOn('uas-refer.xml', P['media']!);
    await listening(P['media']!);
    const digits = ['*', '2', '1', '0', '0', '2', '#'];
    const keys = digits.flatMap((d, i) => ['-key', `d${i + 1}`, d]);
    const a = caller('uac-dtmf.xml', 'dtmf', ['-aa', ...keys]);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, ra.errors).toBe(0); // every INFO got the callee's 200, then NOTIFY, BYE
    expect(rb.code, rb.errors).toBe(0); // INFOs auto-answered, REFER 202, NOTIFY, BYE
    const cdr = await until(
      'CDR',
      () => cdrs().find((c) => String(c['toUri']).includes('dtmf@')),
      5000,
    );
    expect(cdr).toMatchObject({ hangupParty: 'transfer', referStatus: 200 });
    expect(String(cdr['referTo'])).toBe(`sip:1002@127.0.0.1:${P['edge']}`);
    const stream = await streamEvents(redis);
    const dtmf = stream.filter((e) => e.callId === cdr['callId'] && e.type === 'dtmf');
    expect(dtmf.map((e) => e.data['digit']).join('')).toBe('*21002#');
    expect(dtmf.every((e) => e.data['side'] === 'caller')).toBe(true);
  });
});

describe('policy during calls', () => {
  it('max duration lowered mid-call: the call already over it ends (BYE both, CDR reason policy)', async () => {
    const callee = uasOn('uas.xml', P['media']!);
    await listening(P['media']!);
    const a = caller('uac-wait-bye.xml', 'policy', ['-aa']);
    const d = await confirmed('policy');
    // the call has to be older than the new limit (1 s): wait for that on the wall clock
    await until(
      'call older than 1 s',
      () => (Date.now() - d.answeredAt > 1100 ? true : undefined),
      5000,
    );
    const res = await admin('POST', '/policy', { maxDurationSeconds: 1, applyToActive: true });
    expect(res.status).toBe(200);
    expect(res.json['maxDuration']).toEqual({ ended: [d.id], updated: [] });
    const [ra, rb] = await Promise.all([a.done, callee.done]);
    expect(ra.code, ra.errors).toBe(0);
    expect(rb.code, rb.errors).toBe(0);
    const cdr = await until('CDR', () => cdrs().find((c) => c['callId'] === d.callId), 5000);
    expect(cdr).toMatchObject({ hangupParty: 'max-duration', hangupReason: 'policy' });
    expect((await admin('GET', '/policy')).json).toEqual({ maxDurationCap: 1, concurrency: {} });
    expect((await admin('POST', '/policy', { maxDurationSeconds: null })).json['policy']).toEqual({
      maxDurationCap: null,
      concurrency: {},
    });
  });

  it('concurrency limit at runtime: over it new calls get 486; lowered with applyToActive the newest call is ended (CDR reason policy)', async () => {
    expect(
      (await admin('POST', '/policy', { concurrency: { route: 'calls', limit: 2 } })).json[
        'policy'
      ],
    ).toEqual({ maxDurationCap: null, concurrency: { calls: 2 } });
    const media = uas('uas.xml', P['media']!, 2, dir);
    runs.push(media);
    await listening(P['media']!);
    const a = caller('uac-wait-bye.xml', 'first', ['-aa']);
    const first = await confirmed('first');
    const b = caller('uac-wait-bye.xml', 'second', ['-aa'], P['bnew']);
    const second = await confirmed('second');
    const third = caller('uac-rejected.xml', 'third', [], P['third']);
    const r3 = await third.done;
    expect(r3.code, r3.errors).toBe(0); // 486 from the core: the route is at its limit
    const lowered = await admin('POST', '/policy', {
      concurrency: { route: 'calls', limit: 1, applyToActive: true },
    });
    expect(lowered.json['concurrency']).toEqual({ ended: [second.id] });
    const rb = await b.done;
    expect(rb.code, rb.errors).toBe(0); // got the core's BYE
    const cdr = await until('CDR', () => cdrs().find((c) => c['callId'] === second.callId), 5000);
    expect(cdr).toMatchObject({ hangupParty: 'proxy', hangupReason: 'policy' });
    await admin('POST', '/calls/end', { callId: first.callId });
    expect((await a.done).code).toBe(0);
    expect((await media.done).code).toBe(0);
    await admin('POST', '/policy', { concurrency: { route: 'calls', limit: null } });
  });
});

describe('recording and park (media-server stand-in: sipp UAS, not Asterisk)', () => {
  it('route record: the media INVITE carries X-Strata-Record; recording-started/stopped name file and server', async () => {
    const media = uasOn('uas-record.xml', P['media']!);
    await listening(P['media']!);
    const r = await caller('uac.xml', 'rec').done;
    expect(r.code, r.errors).toBe(0);
    const m = await media.done;
    expect(m.code, m.errors).toBe(0); // check_it: the header was there, with a safe name
    const cdr = await until(
      'CDR',
      () => cdrs().find((c) => String(c['toUri']).includes('rec@')),
      5000,
    );
    const stream = await until(
      'recording events',
      async () => {
        const e = (await streamEvents(redis)).filter((x) => x.callId === cdr['callId']);
        return e.some((x) => x.type === 'recording-stopped') ? e : undefined;
      },
      5000,
    );
    const started = stream.find((e) => e.type === 'recording-started')!;
    expect(started.data).toMatchObject({
      server: `sip:127.0.0.1:${P['media']}`,
      trigger: 'route',
    });
    expect(String(started.data['file'])).toMatch(/^strata-[A-Za-z0-9._-]+\.wav$/);
    expect(stream.map((e) => e.type)).toEqual([
      'created',
      'ringing',
      'answered',
      'recording-started',
      'recording-stopped',
      'ended',
    ]);
  });

  it('route record but not via a media server: the call goes through, with an action-refused event', async () => {
    const carol = uasOn('uas.xml', P['carol']!);
    await listening(P['carol']!);
    const r = await caller('uac.xml', 'recx').done;
    expect(r.code, r.errors).toBe(0);
    expect((await carol.done).code).toBe(0);
    const cdr = await until(
      'CDR',
      () => cdrs().find((c) => String(c['toUri']).includes('recx@')),
      5000,
    );
    const refused = await until(
      'refusal',
      async () =>
        (await streamEvents(redis)).find(
          (e) => e.callId === cdr['callId'] && e.type === 'action-refused',
        ),
      5000,
    );
    expect(refused.data).toMatchObject({
      action: 'record',
      reason: 'not routed through a media server',
    });
  });

  it('*0 parks the other party on the media server (slot 701); a call to 701 from another phone is routed there', async () => {
    const b = uasOn('uas-refer.xml', P['bphone']!); // the party being parked
    const media = uas('uas.xml', P['media']!, 2, dir); // the parked call + the retrieval
    runs.push(media);
    await Promise.all([listening(P['bphone']!), listening(P['media']!)]);
    const digits = ['1', '1', '1', '1', '1', '*', '0'];
    const a = caller('uac-dtmf.xml', 'parkme', [
      '-aa',
      ...digits.flatMap((d, i) => ['-key', `d${i + 1}`, d]),
    ]);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, ra.errors).toBe(0);
    expect(rb.code, rb.errors).toBe(0);
    const parked = await until(
      'parked event',
      async () => (await streamEvents(redis)).find((e) => e.type === 'parked'),
      5000,
    );
    expect(parked.data).toEqual({
      slot: '701',
      server: `sip:127.0.0.1:${P['media']}`,
      parked: 'callee',
      by: 'feature',
    });
    expect((await admin('GET', '/park')).json['parked']).toMatchObject([{ slot: '701' }]);
    // B follows the REFER: its call to park-701 sits on the media server (stand-in) …
    const held = caller(
      'uac-referred.xml',
      'park-701',
      ['-d', '4000', '-key', 'referred_by', 'sip:a@x'],
      P['bnew'],
    );
    // … and another phone dials 701: routed to sip:701@<that media server>, not to the dead port
    await until(
      'parked call up',
      async () => {
        const r = await admin('GET', '/dialogs?user=park-701&state=confirmed');
        return (r.json['count'] as number) > 0 ? true : undefined;
      },
      5000,
    );
    const retrieve = caller('uac.xml', '701', [], P['caller']);
    const rr = await retrieve.done;
    expect(rr.code, rr.errors).toBe(0);
    expect((await held.done).code).toBe(0);
    expect((await media.done).code).toBe(0);
    const retrieved = await until(
      'retrieved event',
      async () => (await streamEvents(redis)).find((e) => e.type === 'retrieved'),
      5000,
    );
    expect(retrieved?.data).toMatchObject({ slot: '701', server: `sip:127.0.0.1:${P['media']}` });
    expect((await admin('GET', '/park')).json['parked']).toEqual([]);
  });
});

describe('a dead webhook receiver', () => {
  it('changes nothing for the calls: they complete, the stream has their events, the webhook counts failures', async () => {
    hook!.up = false;
    const callee = uas('uas.xml', P['media']!, 3, dir);
    runs.push(callee);
    await listening(P['media']!);
    const r = await caller('uac.xml', 'deadhook', ['-m', '3', '-r', '10']).done;
    expect(r.code, r.errors).toBe(0);
    expect((await callee.done).code).toBe(0);
    const stats = await until(
      'webhook failures counted',
      async () => {
        const s = await core.stats<{
          callControl: { events: { sinks: { sink: string; failed: number; delivered: number }[] } };
        }>();
        const wh = s.callControl.events.sinks.find((x) => x.sink === 'webhook');
        return wh !== undefined && wh.failed >= 12 ? s.callControl.events.sinks : undefined;
      },
      10_000,
    );
    const rs = stats.find((x) => x.sink === 'redis-stream');
    expect(rs?.failed).toBe(0);
    const ended = cdrs().filter((c) => String(c['toUri']).includes('deadhook@'));
    expect(ended).toHaveLength(3);
    const stream = await streamEvents(redis);
    for (const c of ended)
      expect(ofCall(stream, String(c['callId']))).toEqual([
        'created',
        'ringing',
        'answered',
        'ended',
      ]);
    hook!.up = true;
  });
});
