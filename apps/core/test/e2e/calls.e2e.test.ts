/**
 * Calls through real processes: sipp → edge → core → sipp, one core on the memory store.
 * Routing, registrar, forking, hunt groups, CANCEL, busy, best response, hold/resume,
 * REFER, NAT alias, retransmission storm, media probes, SIGHUP reload.
 */
import dgram from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  freeUdpPorts,
  killAll,
  listening,
  readCdrs,
  register,
  sipp,
  startCore,
  startEdge,
  stopProcess,
  tempDir,
  uas,
  until,
  type AppProcess,
  type SippRun,
  edgeSeesCoresUp,
} from './support/harness.js';

const dir = tempDir('calls');
let edge: AppProcess;
let core: AppProcess;
let P: Record<string, number>;
const uasRuns: SippRun[] = [];

function uasOn(scenario: string, port: number, calls: number, extra: string[] = []): SippRun {
  const run = uas(scenario, port, calls, dir, extra);
  uasRuns.push(run);
  return run;
}

function caller(
  scenario: string,
  user: string,
  extra: string[] = [],
  port = P['caller']!,
): SippRun {
  return sipp(scenario, port, ['-s', user, '-m', '1', ...extra, `127.0.0.1:${P['edge']}`], {
    cwd: dir,
    timeoutS: 20,
  });
}

function cdrsOf(run: SippRun): Record<string, unknown>[] {
  const pid = run.proc.pid;
  return readCdrs(join(dir, 'core-1-cdr.jsonl')).filter((c) =>
    String(c['callId']).endsWith(`-${pid}@127.0.0.1`),
  );
}

beforeAll(async () => {
  const names = [
    'edge',
    'core',
    'media',
    'caller',
    'alice',
    'fork1',
    'fork2',
    'fork3',
    'noanswer',
    'answer',
    'busy',
    'fail503',
    'ring',
    'storm',
    'stormCaller',
    'dead',
    'la1',
    'la2',
    'caller2',
    'carol',
    'bnew',
  ];
  const ports = await freeUdpPorts(names.length);
  P = Object.fromEntries(names.map((n, i) => [n, ports[i]!]));
  const u = (user: string, port: number): string => `sip:${user}@127.0.0.1:${port}`;
  core = await startCore(dir, 'core-1', P['core']!, {
    registrar: { natKeepaliveSeconds: 0 },
    routes: [
      { name: 'register', match: { methods: ['REGISTER'] }, targets: [{ registrar: true }] },
      { name: 'busy', match: { user: '^busy$' }, targets: [{ uri: u('busy', P['busy']!) }] },
      { name: 'ring', match: { user: '^ring$' }, targets: [{ uri: u('ring', P['ring']!) }] },
      {
        name: 'early',
        match: { user: '^early$' },
        earlyTimeoutSeconds: 1,
        targets: [{ uri: u('ring', P['ring']!) }],
      },
      { name: 'storm', match: { user: '^storm$' }, targets: [{ uri: u('storm', P['storm']!) }] },
      { name: 'carol', match: { user: '^carol$' }, targets: [{ uri: u('carol', P['carol']!) }] },
      { name: 'la', match: { user: '^la$' }, targets: [{ mediaGroup: 'la' }] },
      { name: 'seq', match: { user: '^seq$' }, targets: [{ huntGroup: 'seq' }] },
      { name: 'allfail', match: { user: '^allfail$' }, targets: [{ huntGroup: 'allfail' }] },
      {
        name: 'calls',
        match: { methods: ['INVITE', 'MESSAGE', 'SUBSCRIBE', 'OPTIONS'] },
        targets: [{ registrar: true }, { mediaGroup: 'media' }],
      },
    ],
    huntGroups: {
      seq: {
        strategy: 'sequential',
        ringSeconds: 1,
        members: [{ target: u('noanswer', P['noanswer']!) }, { target: u('answer', P['answer']!) }],
      },
      allfail: {
        strategy: 'parallel',
        members: [{ target: u('busy', P['busy']!) }, { target: u('x', P['fail503']!) }],
      },
    },
    mediaGroups: {
      // no probes: the media UAS comes and goes between tests, and sipp -aa counts an
      // auto-answered OPTIONS as one of its -m calls
      media: { targets: [{ uri: `sip:127.0.0.1:${P['media']}` }], probe: { enabled: false } },
      la: {
        algorithm: 'least-active',
        targets: [{ uri: `sip:127.0.0.1:${P['la1']}` }, { uri: `sip:127.0.0.1:${P['la2']}` }],
        probe: { enabled: false },
      },
      dead: {
        targets: [{ uri: `sip:127.0.0.1:${P['dead']}` }],
        probe: { intervalMs: 100, timeoutMs: 100, downAfter: 2 },
      },
    },
  });
  edge = await startEdge(dir, P['edge']!, [{ id: 'core-1', port: P['core']! }]);
  await edgeSeesCoresUp(edge, 1);
}, 30_000);

afterEach(async () => {
  // UAS runs of a test must not outlive it
  await Promise.all(uasRuns.splice(0).map((r) => stopProcess(r.proc, 'SIGKILL')));
});

afterAll(async () => {
  await killAll();
});

describe('core end to end (edge + core + sipp)', () => {
  it('basic calls to an unregistered user go to the media group', async () => {
    const media = uasOn('uas.xml', P['media']!, 5);
    await listening(P['media']!);
    const run = sipp(
      'uac.xml',
      P['caller']!,
      ['-s', 'nobody', '-m', '5', '-r', '10', '-d', '100', `127.0.0.1:${P['edge']}`],
      { cwd: dir },
    );
    const r = await run.done;
    expect(r.code, r.errors).toBe(0);
    expect((await media.done).code).toBe(0);
    const cdrs = await until(
      '5 CDRs',
      () => {
        const c = cdrsOf(run);
        return c.length === 5 ? c : undefined;
      },
      5000,
    );
    expect(
      cdrs.every((c) => c['disposition'] === 'ANSWERED' && c['hangupParty'] === 'caller'),
    ).toBe(true);
    const s = await core.stats();
    expect(s.dialogs.active).toBe(0);
    expect(s.core.unansweredInvites).toBe(0);
  });

  it('least-active media group: a second concurrent call goes to the idle server', async () => {
    const la = (): Promise<number[]> =>
      core.stats().then((s) => s.mediaGroups['la']!.targets.map((t) => t.active));
    // each server takes exactly one call: both calls on one server would leave the other waiting
    const s1 = uasOn('uas.xml', P['la1']!, 1);
    const s2 = uasOn('uas.xml', P['la2']!, 1);
    await Promise.all([listening(P['la1']!), listening(P['la2']!)]);
    const long = caller('uac.xml', 'la', ['-d', '3000']);
    await until('first call counted', async () => ((await la())[0] === 1 ? true : undefined), 5000);
    const short = caller('uac.xml', 'la', ['-d', '100'], P['caller2']);
    const r2 = await short.done;
    expect(r2.code, r2.errors).toBe(0);
    expect((await s2.done).code).toBe(0);
    expect(await la()).toEqual([1, 0]);
    const r1 = await long.done;
    expect(r1.code, r1.errors).toBe(0);
    expect((await s1.done).code).toBe(0);
    await until(
      'counts back to 0',
      async () => ((await la()).every((n) => n === 0) ? true : undefined),
      5000,
    );
  });

  it('registration, then a call reaches the registered UA (not the media group)', async () => {
    await register(P['edge']!, 'alice', P['alice']!, dir);
    expect((await core.stats()).registrations.contacts).toBeGreaterThanOrEqual(1);
    const phone = uasOn('uas.xml', P['alice']!, 1);
    await listening(P['alice']!);
    const r = await caller('uac.xml', 'alice', ['-d', '100']).done;
    expect(r.code, r.errors).toBe(0);
    expect((await phone.done).code).toBe(0);
  });

  it('parallel fork to 3 registered contacts: one answers, the other two get CANCEL', async () => {
    for (const k of ['fork1', 'fork2', 'fork3']) await register(P['edge']!, 'forky', P[k]!, dir);
    const losers = [uasOn('uas-ring.xml', P['fork1']!, 1), uasOn('uas-ring.xml', P['fork2']!, 1)];
    const winner = uasOn('uas-late.xml', P['fork3']!, 1, ['-d', '500']);
    for (const k of ['fork1', 'fork2', 'fork3']) await listening(P[k]!);
    const r = await caller('uac.xml', 'forky', ['-d', '100']).done;
    expect(r.code, r.errors).toBe(0);
    expect((await winner.done).code).toBe(0);
    for (const l of losers) {
      const res = await l.done;
      expect(res.code, res.errors).toBe(0); // saw CANCEL, answered 200 + 487, got the ACK
    }
  });

  it('sequential hunt group: the first member rings out (1 s), the second answers', async () => {
    const noAnswer = uasOn('uas-ring.xml', P['noanswer']!, 1);
    const answer = uasOn('uas.xml', P['answer']!, 1);
    await listening(P['noanswer']!);
    await listening(P['answer']!);
    const started = Date.now();
    const r = await caller('uac.xml', 'seq', ['-d', '100']).done;
    expect(r.code, r.errors).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect((await noAnswer.done).code).toBe(0);
    expect((await answer.done).code).toBe(0);
  });

  it('CANCEL from the caller reaches the ringing callee; CDR CANCELLED', async () => {
    const callee = uasOn('uas-ring.xml', P['ring']!, 1);
    await listening(P['ring']!);
    const run = caller('uac-cancel.xml', 'ring');
    const r = await run.done;
    expect(r.code, r.errors).toBe(0);
    expect((await callee.done).code).toBe(0);
    const [cdr] = await until(
      'CDR',
      () => {
        const c = cdrsOf(run);
        return c.length > 0 ? c : undefined;
      },
      5000,
    );
    expect(cdr?.['disposition']).toBe('CANCELLED');
  });

  it('early timeout (route earlyTimeoutSeconds: 1): the core CANCELs the ringing branch and answers 408', async () => {
    const callee = uasOn('uas-ring.xml', P['ring']!, 1);
    await listening(P['ring']!);
    const before = await core.stats();
    const started = Date.now();
    const run = caller('uac-timeout.xml', 'early');
    const r = await run.done;
    expect(r.code, r.errors).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000); // not Timer C (180 s)
    expect((await callee.done).code).toBe(0); // the UAS got the CANCEL (200 + 487)
    const [cdr] = await until(
      'CDR',
      () => {
        const c = cdrsOf(run);
        return c.length > 0 ? c : undefined;
      },
      5000,
    );
    expect(cdr?.['answeredAt']).toBeNull();
    expect(['caller', 'callee']).not.toContain(cdr?.['hangupParty']);
    const after = await core.stats();
    expect(after.events.earlyEndedByProxy - before.events.earlyEndedByProxy).toBe(1);
    expect(after.core.unansweredInvites).toBe(0);
    expect(after.dialogs.active).toBe(0);
  });

  it('486 busy reaches the caller; CDR BUSY', async () => {
    const callee = uasOn('uas-486.xml', P['busy']!, 1);
    await listening(P['busy']!);
    const run = caller('uac-rejected.xml', 'busy');
    const r = await run.done;
    expect(r.code, r.errors).toBe(0);
    expect((await callee.done).code).toBe(0);
    const [cdr] = await until(
      'CDR',
      () => {
        const c = cdrsOf(run);
        return c.length > 0 ? c : undefined;
      },
      5000,
    );
    expect(cdr?.['disposition']).toBe('BUSY');
  });

  it('all branches fail (486, 503): the caller gets the best response, 486', async () => {
    const a = uasOn('uas-486.xml', P['busy']!, 1);
    const b = uasOn('uas-503.xml', P['fail503']!, 1);
    await listening(P['busy']!);
    await listening(P['fail503']!);
    const r = await caller('uac-rejected.xml', 'allfail').done;
    expect(r.code, r.errors).toBe(0);
    expect((await a.done).code).toBe(0);
    expect((await b.done).code).toBe(0);
  });

  it('hold and resume re-INVITEs are relayed and tracked', async () => {
    const before = (await core.stats()).events;
    const callee = uasOn('uas-hold.xml', P['media']!, 1);
    await listening(P['media']!);
    const r = await caller('uac-hold.xml', 'hold', ['-d', '100']).done;
    expect(r.code, r.errors).toBe(0);
    expect((await callee.done).code).toBe(0);
    const after = (await core.stats()).events;
    expect(after.holds - before.holds).toBe(1);
    expect(after.resumes - before.resumes).toBe(1);
  });

  it('blind transfer: REFER relayed, 202, NOTIFY sipfrag back, then the transferee calls the target', async () => {
    const callee = uasOn('uas-refer.xml', P['media']!, 1);
    const carol = uasOn('uas.xml', P['carol']!, 1);
    await Promise.all([listening(P['media']!), listening(P['carol']!)]);
    const target = `carol@127.0.0.1:${P['carol']}`;
    const run = caller('uac-refer.xml', 'transfer', ['-key', 'refer_to', target]);
    const r = await run.done;
    expect(r.code, r.errors).toBe(0);
    expect((await callee.done).code).toBe(0);
    const [cdr] = await until(
      'CDR',
      () => {
        const c = cdrsOf(run);
        return c.length > 0 ? c : undefined;
      },
      5000,
    );
    expect(String(cdr?.['referTo'])).toContain(target);
    expect(cdr?.['referStatus']).toBe(200);
    // the transferee (B) places the new call to the Refer-To target, naming the transferor
    const transferor = `sip:sipp@127.0.0.1:${P['caller']}`;
    const placed = caller(
      'uac-referred.xml',
      'carol',
      ['-d', '100', '-key', 'referred_by', transferor],
      P['bnew'],
    );
    const r2 = await placed.done;
    expect(r2.code, r2.errors).toBe(0);
    expect((await carol.done).code).toBe(0);
    const [second] = await until(
      'transferee CDR',
      () => {
        const c = cdrsOf(placed);
        return c.length > 0 ? c : undefined;
      },
      5000,
    );
    expect(second?.['disposition']).toBe('ANSWERED');
    expect(String(second?.['referredBy'])).toContain(transferor);
  });

  it('attended transfer (RFC 3891): B calls C with Replaces for the A–C consultation call; CDRs linked', async () => {
    // A–B: the call A transfers (REFER with Refer-To <C?Replaces=…>); A–C: the consultation
    // call; B then calls C with Replaces naming A–C, C answers, and the A–C leg is hung up.
    const b = uasOn('uas-refer.xml', P['media']!, 1);
    const c = uasOn('uas.xml', P['carol']!, 2);
    await Promise.all([listening(P['media']!), listening(P['carol']!)]);
    const consult = caller('uac.xml', 'carol', ['-d', '3000'], P['caller2']);
    await until(
      'A–C confirmed',
      async () => ((await core.stats()).dialogs.confirmed >= 1 ? true : undefined),
      5000,
    );
    const cPid = c.proc.pid!;
    const aPid = consult.proc.pid!;
    const acCallId = `1-${aPid}@127.0.0.1`;
    const acFromTag = `${aPid}SIPpTag001`;
    const acToTag = `${cPid}SIPpTag011`;
    const replaces = `${acCallId};to-tag=${acToTag};from-tag=${acFromTag}`;
    const target = `carol@127.0.0.1:${P['carol']}?Replaces=${encodeURIComponent(replaces)}`;
    const refer = caller('uac-refer.xml', 'transfer', ['-key', 'refer_to', target]);
    const r1 = await refer.done;
    expect(r1.code, r1.errors).toBe(0);
    expect((await b.done).code).toBe(0);
    // B's new INVITE, carrying Replaces: routed to C like any call to carol
    const transferor = `sip:sipp@127.0.0.1:${P['caller']}`;
    const replacing = caller(
      'uac-replaces.xml',
      'carol',
      ['-d', '100', '-key', 'replaces', replaces, '-key', 'referred_by', transferor],
      P['bnew'],
    );
    const r2 = await replacing.done;
    expect(r2.code, r2.errors).toBe(0);
    const r3 = await consult.done;
    expect(r3.code, r3.errors).toBe(0);
    expect((await c.done).code).toBe(0);
    const [referCdr] = await until(
      'REFER call CDR',
      () => {
        const x = cdrsOf(refer);
        return x.length > 0 ? x : undefined;
      },
      5000,
    );
    expect(String(referCdr?.['referTo'])).toContain('Replaces=');
    const [newCdr] = await until(
      'replacing CDR',
      () => {
        const x = cdrsOf(replacing);
        return x.length > 0 ? x : undefined;
      },
      5000,
    );
    const [oldCdr] = await until(
      'replaced CDR',
      () => {
        const x = cdrsOf(consult);
        return x.length > 0 ? x : undefined;
      },
      5000,
    );
    expect(newCdr?.['disposition']).toBe('ANSWERED');
    expect(oldCdr?.['dialogId']).toBe(`${acCallId}:${acFromTag}:${acToTag}`);
    expect(newCdr?.['replaces']).toBe(oldCdr?.['dialogId']);
    expect(oldCdr?.['replacedBy']).toBe(newCdr?.['dialogId']);
    expect(String(newCdr?.['referredBy'])).toContain(transferor);
  });

  it('NAT: a Contact that is not the source gets an alias; the callee BYE reaches the caller', async () => {
    const callee = uasOn('uas-bye.xml', P['media']!, 1, ['-d', '200']);
    await listening(P['media']!);
    const before = (await core.stats()).core.natAliased;
    // straight to the core (no edge): the core is the UA's first hop
    const run = sipp(
      'uac-nat.xml',
      P['caller']!,
      [
        '-s',
        'natted',
        '-m',
        '1',
        '-key',
        'nat_contact',
        '10.255.0.1:5999',
        `127.0.0.1:${P['core']}`,
      ],
      { cwd: dir, timeoutS: 20 },
    );
    const r = await run.done;
    expect(r.code, r.errors).toBe(0);
    expect((await callee.done).code).toBe(0);
    expect((await core.stats()).core.natAliased).toBe(before + 1);
  });

  it('retransmission storm from sipp (infra/sipp/uac-storm.xml): the UAS sees the INVITE once', async () => {
    const uasSock = dgram.createSocket('udp4');
    try {
      await new Promise<void>((r) => uasSock.bind(P['storm'], '127.0.0.1', () => r()));
      let invites = 0;
      let acks = 0;
      uasSock.on('message', (buf, rinfo) => {
        const text = buf.toString();
        if (text.startsWith('INVITE ')) {
          invites++;
          uasSock.send(answer(text, 486, 'Busy Here'), rinfo.port, rinfo.address);
        } else if (text.startsWith('ACK ')) acks++;
      });
      // the core answers each copy with a 100, between the sends too: not a reason to abort
      const run = caller(
        'uac-storm.xml',
        'storm',
        ['-default_behaviors', 'all,-abortunexp'],
        P['stormCaller'],
      );
      const result = await run.done;
      expect(result.code, result.errors + result.stdout).toBe(0);
      await until('ACK at the UAS', () => (acks > 0 ? true : undefined), 5000);
      expect(invites).toBe(1);
    } finally {
      await new Promise<void>((r) => uasSock.close(() => r()));
    }
  });

  it('retransmission storm: 10 copies of one INVITE, the UAS sees it once', async () => {
    const uasSock = dgram.createSocket('udp4');
    const callerSock = dgram.createSocket('udp4');
    try {
      await new Promise<void>((r) => uasSock.bind(P['storm'], '127.0.0.1', () => r()));
      await new Promise<void>((r) => callerSock.bind(P['stormCaller'], '127.0.0.1', () => r()));
      let invites = 0;
      let acks = 0;
      uasSock.on('message', (buf, rinfo) => {
        const text = buf.toString();
        if (text.startsWith('INVITE ')) {
          invites++;
          uasSock.send(answer(text, 486, 'Busy Here'), rinfo.port, rinfo.address);
        } else if (text.startsWith('ACK ')) acks++;
      });
      const finals: string[] = [];
      callerSock.on('message', (buf) => {
        const t = buf.toString();
        if (/^SIP\/2.0 [2-6]\d\d/.test(t)) finals.push(t);
      });
      const port = P['stormCaller']!;
      const invite =
        `INVITE sip:storm@127.0.0.1:${P['edge']} SIP/2.0\r\n` +
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-storm-1;rport\r\n` +
        `From: <sip:raw@127.0.0.1:${port}>;tag=storm1\r\n` +
        `To: <sip:storm@127.0.0.1>\r\n` +
        `Call-ID: storm-${Date.now()}@127.0.0.1\r\n` +
        `CSeq: 1 INVITE\r\n` +
        `Contact: <sip:raw@127.0.0.1:${port}>\r\n` +
        `Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
      for (let i = 0; i < 10; i++) {
        callerSock.send(invite, P['edge'], '127.0.0.1');
        await new Promise((r) => setTimeout(r, 10));
      }
      await until('486 at the caller', () => (finals.length > 0 ? true : undefined), 5000);
      // ACK the 486 (hop by hop, same branch) and wait for the core's own ACK to the UAS
      const toTag = /^To:.*;tag=([^;\r\n]+)/im.exec(finals[0]!)?.[1] ?? '';
      const ack = invite
        .replace(/^INVITE /, 'ACK ')
        .replace('CSeq: 1 INVITE', 'CSeq: 1 ACK')
        .replace('To: <sip:storm@127.0.0.1>', `To: <sip:storm@127.0.0.1>;tag=${toTag}`)
        .replace(/Contact: .*\r\n/, '');
      callerSock.send(ack, P['edge'], '127.0.0.1');
      await until('ACK at the UAS', () => (acks > 0 ? true : undefined), 5000);
      expect(invites).toBe(1);
    } finally {
      uasSock.close();
      callerSock.close();
    }
  });

  it('media-server probes mark a dead server down', async () => {
    const s = await until(
      'dead server down',
      async () => {
        const st = await core.stats();
        return st.mediaGroups['dead']?.targets[0]?.up === false ? st : undefined;
      },
      5000,
    );
    expect(s.mediaGroups['media']?.targets[0]?.up).toBe(true);
  });

  it('SIGHUP reloads the routing config from the file', async () => {
    const config = JSON.parse(readFileSync(core.configFile, 'utf8')) as { routes: unknown[] };
    config.routes.unshift({
      name: 'reloaded',
      match: { user: '^newroute$' },
      targets: [{ uri: `sip:busy@127.0.0.1:${P['busy']}` }],
    });
    writeFileSync(core.configFile, JSON.stringify(config));
    core.proc.kill('SIGHUP');
    await core.waitForLog('reload', (l) => l['msg'] === 'routing config reloaded', 5000);
    const callee = uasOn('uas-486.xml', P['busy']!, 1);
    await listening(P['busy']!);
    const r = await caller('uac-rejected.xml', 'newroute').done;
    expect(r.code, r.errors).toBe(0);
    expect((await callee.done).code).toBe(0);
    expect((await core.stats()).core.reloads).toBe(1);
  });
});

/** A final response to a raw INVITE (Via, From, To+tag, Call-ID, CSeq copied). */
function answer(request: string, status: number, reason: string): string {
  const lines = request.split('\r\n');
  const pick = (name: string): string[] =>
    lines.filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return (
    `SIP/2.0 ${status} ${reason}\r\n` +
    [
      ...pick('Via'),
      ...pick('From'),
      ...pick('To').map((t) => `${t};tag=uas1`),
      ...pick('Call-ID'),
      ...pick('CSeq'),
    ].join('\r\n') +
    `\r\nContent-Length: 0\r\n\r\n`
  );
}
