/**
 * Issue #14 recording triggers against a REAL Asterisk (the infra image
 * localhost/strata/asterisk:22 of #10, host network, loopback), opt-in:
 * STRATA_ASTERISK_E2E=1 (needs podman and the image). The Asterisk config here is this
 * test's own (written to its temp dir and mounted), implementing the media-layer contract
 * of docs/call-control.md; infra/asterisk/ is not touched. Checked: a route with
 * `record: true` → the core's X-Strata-Record → MixMonitor writes exactly the file the
 * `recording-started` event names; a caller's DTMF `*3` over INFO, relayed unchanged,
 * is detected by Asterisk's dialplan and a recording file appears; `*0` parks the other
 * party in res_parking slot 701 and a third phone dialling 701 gets it; a park timeout
 * rings the parker back through the core; the admin's mid-call record start.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallEvent } from '../../src/events/call-event.js';
import {
  freeUdpPorts,
  killAll,
  listening,
  sipp,
  startCore,
  tempDir,
  uas,
  until,
} from './support/harness.js';

const IMAGE = process.env['STRATA_ASTERISK_IMAGE'] ?? 'localhost/strata/asterisk:22';
const enabled = process.env['STRATA_ASTERISK_E2E'] === '1';
const dir = tempDir('call-control-asterisk');
const monitor = join(dir, 'monitor');
const name = `strata14-ast-${process.pid}`;
let ast: ChildProcess | null = null;
let astLog = '';
let hook: Server;
let statusPort = 0;
const TOKEN = 'asterisk-e2e-token-14';
const hooked: CallEvent[] = [];
let P: Record<string, number>;

function asteriskConfig(astPort: number, corePort: number): Record<string, string> {
  return {
    'pjsip.conf': `
[global]
type=global
endpoint_identifier_order=ip,username,anonymous
keep_alive_interval=0

[transport-udp]
type=transport
protocol=udp
bind=127.0.0.1:${astPort}

[strata-cores]
type=endpoint
context=from-strata
transport=transport-udp
aors=strata-cores
disallow=all
allow=ulaw,alaw
direct_media=no
rtp_symmetric=yes
force_rport=yes
rewrite_contact=no
dtmf_mode=info
outbound_proxy=sip:127.0.0.1:${corePort}\\;lr

[strata-cores]
type=aor
max_contacts=1

[strata-cores-identify]
type=identify
endpoint=strata-cores
match=127.0.0.1
`,
    'extensions.conf': `
[general]
static=yes
writeprotect=yes

[from-strata]
; the media-layer contract (docs/call-control.md): record when the core says so
exten => rec,1,Answer()
 same => n,ExecIf($["\${PJSIP_HEADER(read,X-Strata-Record)}" != ""]?MixMonitor(\${PJSIP_HEADER(read,X-Strata-Record)}))
 same => n,Wait(20)
 same => n,Hangup()
; DTMF feature code detected by the media layer (the INFOs the core relays)
exten => dtmf,1,Answer()
 same => n,Set(TIMEOUT(digit)=5)
 same => n(wait),WaitExten(20)
exten => *3,1,MixMonitor(strata-dtmf-\${UNIQUEID}.wav)
 same => n,Wait(2)
 same => n,Hangup()
; the core's mid-call recording (actions.recording.mediaFeatureCode '#9', sent as INFO)
exten => #9,1,MixMonitor(strata-admin-\${UNIQUEID}.wav)
 same => n,Wait(2)
 same => n,Hangup()
exten => i,1,Goto(dtmf,wait)
; park: the core REFERs the parked party to park-<slot>; a call to <slot> takes it back
exten => _park-7XX,1,Set(PARKINGEXTEN=\${EXTEN:5})
 same => n,Set(STRATA_PARKER=\${PJSIP_HEADER(read,X-Strata-Parker)})
 same => n,Park(default)
exten => _7XX,1,ParkedCall(default,\${EXTEN})

; park timeout: ring the parker back (the core told us who, X-Strata-Parker), via the core
[strata-comeback]
exten => s,1,Dial(PJSIP/strata-cores/\${STRATA_PARKER},20)
 same => n,Hangup()
`,
    'res_parking.conf': `
[general]
[default]
parkpos => 701-720
context => parkedcalls
parkingtime => 5
comebacktoorigin = no
comebackcontext = strata-comeback
`,
    'modules.conf': `
[modules]
autoload=no
load => res_pjproject.so
load => res_sorcery_config.so
load => res_sorcery_memory.so
load => res_sorcery_memory_cache.so
load => res_sorcery_astdb.so
load => res_pjsip.so
load => res_pjsip_pubsub.so
load => res_pjsip_session.so
load => chan_pjsip.so
load => res_pjsip_endpoint_identifier_ip.so
load => res_pjsip_endpoint_identifier_user.so
load => res_pjsip_authenticator_digest.so
load => res_pjsip_outbound_authenticator_digest.so
load => res_pjsip_nat.so
load => res_pjsip_sdp_rtp.so
load => res_pjsip_caller_id.so
load => res_pjsip_dtmf_info.so
load => res_pjsip_rfc3326.so
load => res_pjsip_refer.so
load => func_pjsip_endpoint.so
load => res_pjsip_header_funcs.so
load => res_rtp_asterisk.so
load => res_timing_timerfd.so
load => codec_ulaw.so
load => codec_alaw.so
load => format_wav.so
load => format_pcm.so
load => bridge_simple.so
load => pbx_config.so
load => app_mixmonitor.so
load => func_timeout.so
load => func_logic.so
load => app_exec.so
load => app_dial.so
load => res_parking.so
load => bridge_holding.so
load => bridge_basic.so
`,
  };
}

interface Listed {
  callId: string;
  caller: string;
  callee: string;
}

/** The core's admin API: GET → the listed dialogs, POST → []. */
function fetchJson(path: string, body?: unknown): Promise<Listed[]> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? '' : JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port: statusPort,
        path: `/admin${path}`,
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          authorization: `Bearer ${TOKEN}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(data),
        },
        timeout: 10_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => {
          const json = (text === '' ? {} : JSON.parse(text)) as { dialogs?: Listed[] };
          resolve(json.dialogs ?? []);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${path} timed out`)));
    req.on('error', reject);
    req.end(data);
  });
}

function postJson(path: string, body: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port: statusPort,
        path: `/admin${path}`,
        method: 'POST',
        headers: {
          authorization: `Bearer ${TOKEN}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(data),
        },
        timeout: 10_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () =>
          resolve((text === '' ? {} : JSON.parse(text)) as Record<string, unknown>),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${path} timed out`)));
    req.on('error', reject);
    req.end(data);
  });
}

function podman(args: string[]): { status: number | null; out: string } {
  const r = spawnSync('podman', args, { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe.skipIf(!enabled)('recording with a real Asterisk (opt-in: STRATA_ASTERISK_E2E=1)', () => {
  beforeAll(async () => {
    const names = ['core', 'ast', 'caller', 'bphone', 'bnew', 'cphone', 'caller2'];
    const ports = await freeUdpPorts(names.length);
    P = Object.fromEntries(names.map((n, i) => [n, ports[i]!]));
    mkdirSync(monitor, { recursive: true });
    chmodSync(monitor, 0o777); // the container's asterisk user writes here
    const mounts: string[] = [];
    for (const [file, text] of Object.entries(asteriskConfig(P['ast']!, P['core']!))) {
      writeFileSync(join(dir, file), text);
      mounts.push('-v', `${join(dir, file)}:/etc/asterisk/${file}:ro`);
    }
    podman(['rm', '-f', name]);
    ast = spawn(
      'podman',
      [
        'run',
        '--rm',
        '--name',
        name,
        '--network',
        'host',
        '--no-healthcheck',
        '--ulimit',
        'nofile=4096:4096',
        '--ulimit',
        'nproc=4096:4096',
        ...mounts,
        '-v',
        `${monitor}:/var/spool/asterisk/monitor`,
        IMAGE,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    ast.stdout!.setEncoding('utf8').on('data', (d: string) => (astLog += d));
    ast.stderr!.setEncoding('utf8').on('data', (d: string) => (astLog += d));
    await until(
      'Asterisk ready',
      () => (astLog.includes('Asterisk Ready') ? true : undefined),
      60_000,
      200,
    );

    hook = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (d: string) => (body += d));
      req.on('end', () => {
        hooked.push(...(JSON.parse(body) as CallEvent[]));
        res.end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    const core = await startCore(dir, 'core-1', P['core']!, {
      registrar: { natKeepaliveSeconds: 0 },
      dialog: { keepaliveIntervalSeconds: 0 },
      admin: { token: TOKEN },
      events: {
        webhook: { url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/events` },
      },
      features: { codes: [{ code: '*0', action: 'park' }] },
      actions: { transferHangupDelayMs: 300, recording: { mediaFeatureCode: '#9' } },
      routes: [
        // the ring-back of a timed-out park reaches the parker (a sipp UAS here; a registered phone in real life)
        {
          name: 'parker',
          match: { user: '^sipp$' },
          targets: [{ uri: `sip:sipp@127.0.0.1:${P['caller2']}` }],
        },
        {
          name: 'parkme',
          match: { user: '^parkme$' },
          targets: [{ uri: `sip:parkme@127.0.0.1:${P['bphone']}` }],
        },
        { name: 'rec', match: { user: '^rec$' }, record: true, targets: [{ mediaGroup: 'media' }] },
        { name: 'calls', match: { methods: ['INVITE'] }, targets: [{ mediaGroup: 'media' }] },
      ],
      mediaGroups: {
        media: { targets: [{ uri: `sip:127.0.0.1:${P['ast']}` }], probe: { enabled: false } },
      },
    });
    statusPort = core.statusPort;
  }, 120_000);

  afterAll(async () => {
    await killAll();
    if (ast !== null) podman(['rm', '-f', name]);
    await new Promise<void>((r) => (hook === undefined ? r() : hook.close(() => r())));
  });

  it('route record: Asterisk MixMonitor writes the file the recording-started event names', async () => {
    const run = sipp(
      'uac.xml',
      P['caller']!,
      ['-s', 'rec', '-m', '1', '-d', '1500', `127.0.0.1:${P['core']}`],
      {
        cwd: dir,
        timeoutS: 20,
      },
    );
    const r = await run.done;
    expect(r.code, `${r.errors}\n${astLog.slice(-3000)}`).toBe(0);
    const started = await until(
      'recording-started',
      () => hooked.find((e) => e.type === 'recording-started'),
      5000,
    );
    const file = String(started.data['file']);
    expect(file).toMatch(/^strata-[A-Za-z0-9._-]+\.wav$/);
    await until(
      'the recording file',
      () => (existsSync(join(monitor, file)) ? true : undefined),
      10_000,
    );
    // a WAV file (sipp sends no RTP, so it may hold only its 44-byte header)
    expect(statSync(join(monitor, file)).size).toBeGreaterThanOrEqual(44);
    await until(
      'recording-stopped',
      () => hooked.find((e) => e.type === 'recording-stopped'),
      5000,
    );
  });

  it('*3 as DTMF INFO from the caller: relayed unchanged, Asterisk detects it and records', async () => {
    const before = new Set(readdirSync(monitor));
    const digits = ['*', '3', '1', '1', '1', '1', '1'];
    const run = sipp(
      'uac-dtmf.xml',
      P['caller']!,
      [
        '-aa',
        '-s',
        'dtmf',
        '-m',
        '1',
        ...digits.flatMap((d, i) => ['-key', `d${i + 1}`, d]),
        `127.0.0.1:${P['core']}`,
      ],
      { cwd: dir, timeoutS: 30 },
    );
    const r = await run.done; // Asterisk hangs up 2 s after *3 (the caller waits for its BYE)
    expect(r.code, `${r.errors}\n${astLog.slice(-3000)}`).toBe(0);
    const created = await until(
      'a new recording file',
      () => readdirSync(monitor).find((f) => !before.has(f) && f.startsWith('strata-dtmf-')),
      10_000,
    );
    expect(created).toMatch(/\.wav$/);
    const dtmf = hooked.filter((e) => e.type === 'dtmf').map((e) => e.data['digit']);
    expect(dtmf.slice(0, 2)).toEqual(['*', '3']);
  });

  it('*0 parks the other party into slot 701 of Asterisk (res_parking); another phone dialling 701 gets it', async () => {
    const b = uas('uas-refer.xml', P['bphone']!, 1, dir); // the party being parked (a phone)
    await listening(P['bphone']!);
    const digits = ['1', '1', '1', '1', '1', '*', '0'];
    const a = sipp(
      'uac-dtmf.xml',
      P['caller']!,
      [
        '-aa',
        '-s',
        'parkme',
        '-m',
        '1',
        ...digits.flatMap((d, i) => ['-key', `d${i + 1}`, d]),
        `127.0.0.1:${P['core']}`,
      ],
      { cwd: dir, timeoutS: 20 },
    );
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, ra.errors).toBe(0);
    expect(rb.code, rb.errors).toBe(0);
    const parked = await until('parked', () => hooked.find((e) => e.type === 'parked'), 5000);
    expect(parked.data).toMatchObject({ slot: '701', server: `sip:127.0.0.1:${P['ast']}` });
    // B follows the REFER (sipp cannot: its new call is this second run) to park-701 on Asterisk
    const held = sipp(
      'uac-wait-bye.xml',
      P['bnew']!,
      ['-aa', '-s', 'park-701', '-m', '1', `127.0.0.1:${P['core']}`],
      { cwd: dir, timeoutS: 30 },
    );
    await until(
      'Asterisk holds the call in slot 701',
      () => {
        const r = podman(['exec', name, 'asterisk', '-rx', 'parking show default']);
        return /701/.test(r.out) && /PJSIP/.test(r.out) ? r.out : undefined;
      },
      10_000,
      250,
    );
    // C dials 701 through the core: routed to sip:701@<that Asterisk>, which bridges C and B
    const c = sipp(
      'uac.xml',
      P['cphone']!,
      ['-s', '701', '-m', '1', '-d', '1000', `127.0.0.1:${P['core']}`],
      {
        cwd: dir,
        timeoutS: 20,
      },
    );
    const rc = await c.done; // answered by Asterisk's ParkedCall, then C hangs up
    expect(rc.code, `${rc.errors}\n${astLog.slice(-3000)}`).toBe(0);
    const rh = await held.done; // the bridge ends: Asterisk BYEs the parked party
    expect(rh.code, rh.errors).toBe(0);
    const retrieved = await until(
      'retrieved',
      () => hooked.find((e) => e.type === 'retrieved'),
      5000,
    );
    expect(retrieved.data).toMatchObject({ slot: '701', server: `sip:127.0.0.1:${P['ast']}` });
  });

  it('a parked call that times out rings the parker back (X-Strata-Parker → res_parking comebackcontext → Dial via the core)', async () => {
    const b = uas('uas-refer.xml', P['bphone']!, 1, dir);
    await listening(P['bphone']!);
    const digits = ['1', '1', '1', '1', '1', '*', '0'];
    const a = sipp(
      'uac-dtmf.xml',
      P['caller2']!,
      [
        '-aa',
        '-s',
        'parkme',
        '-m',
        '1',
        ...digits.flatMap((d, i) => ['-key', `d${i + 1}`, d]),
        `127.0.0.1:${P['core']}`,
      ],
      { cwd: dir, timeoutS: 20 },
    );
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, ra.errors).toBe(0);
    expect(rb.code, rb.errors).toBe(0);
    const parked = await until(
      'parked',
      () => hooked.find((e) => e.type === 'parked' && e.caller.uri.includes(`:${P['caller2']}`)),
      5000,
    );
    expect(parked.data).toMatchObject({ parked: 'callee' });
    // the parker is back at its phone (the same address), waiting for the ring-back
    const parker = uas('uas.xml', P['caller2']!, 1, dir);
    await listening(P['caller2']!);
    const held = sipp(
      'uac-wait-bye.xml',
      P['bnew']!,
      ['-aa', '-s', `park-${String(parked.data['slot'])}`, '-m', '1', `127.0.0.1:${P['core']}`],
      { cwd: dir, timeoutS: 40 },
    );
    // parkingtime 5 s: Asterisk calls the parker back through the core
    const ringback = await until(
      `the ring-back call answered (Asterisk: ${astLog.length})`,
      // the ring-back goes TO the parker (the parked party's own call is FROM a sipp user too)
      async () =>
        (await fetchJson('/dialogs?user=sipp&state=confirmed')).find((d) =>
          d.callee.startsWith('sip:sipp@'),
        ),
      15_000,
      250,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${astLog.slice(-4000)}`);
    });
    await fetchJson('/calls/end', { callId: ringback.callId });
    const [rp, rh] = await Promise.all([parker.done, held.done]);
    expect(rp.code, `${rp.errors}\n${astLog.slice(-3000)}`).toBe(0);
    expect(rh.code, rh.errors).toBe(0); // the parked party's call ends with the ring-back
  });

  it('admin record start mid-call: the core sends the media server its code as DTMF INFO, a recording file appears', async () => {
    const before = new Set(readdirSync(monitor));
    const a = sipp(
      'uac-wait-bye.xml',
      P['cphone']!,
      ['-aa', '-s', 'dtmf', '-m', '1', `127.0.0.1:${P['core']}`],
      {
        cwd: dir,
        timeoutS: 30,
      },
    );
    const call = await until(
      'the call to Asterisk answered',
      async () => (await fetchJson('/dialogs?user=dtmf&state=confirmed'))[0],
      10_000,
      100,
    );
    const started = await postJson('/calls/record', { callId: call.callId, action: 'start' });
    expect(started).toMatchObject({
      ok: true,
      action: 'start',
      server: `sip:127.0.0.1:${P['ast']}`,
    });
    const created = await until(
      'a new recording file',
      () => readdirSync(monitor).find((f) => !before.has(f) && f.startsWith('strata-admin-')),
      10_000,
    );
    expect(created).toMatch(/\.wav$/);
    const ra = await a.done; // Asterisk hangs up 2 s after starting the recording
    expect(ra.code, ra.errors).toBe(0);
    expect(hooked.some((e) => e.type === 'recording-started' && e.callId === call.callId)).toBe(
      true,
    );
  });
});
