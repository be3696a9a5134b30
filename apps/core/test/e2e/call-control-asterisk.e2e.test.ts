/**
 * Issue #14 recording triggers and park against a REAL Asterisk (the infra image
 * localhost/strata/asterisk:22 of #10, host network, loopback). Opt-in / auto:
 * STRATA_ASTERISK_E2E=1 runs it (fails without podman or the image); `auto` (what
 * scripts/run-tests.mjs sets) runs it when the image exists and skips it otherwise, saying
 * why. The Asterisk config is the SHIPPED one (infra/asterisk: dialplan, modules, parking,
 * pjsip), mounted over the image's, with only the addresses and the park timeout adapted
 * (asteriskConfig). Checked: a route with `record: true` → the core's X-Strata-Record →
 * MixMonitor writes exactly the file the `recording-started` event names; a caller's DTMF
 * `*3` over INFO, relayed unchanged, toggles Asterisk's one-touch recording and a file
 * appears; `*0` parks the other party in res_parking slot 701 and a third phone dialling
 * 701 gets it; a park timeout rings the parker back through the core; the admin's mid-call
 * record start (the core sends `*3` as INFO).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallEvent } from '../../src/events/call-event.js';
import {
  freeUdpPorts,
  httpGet,
  killAll,
  listening,
  sipp,
  SIPP_DIR,
  startCore,
  tempDir,
  uas,
  until,
  type SippRun,
} from './support/harness.js';
import { EventSink } from './support/event-sink.js';

const IMAGE = process.env['STRATA_ASTERISK_IMAGE'] ?? 'localhost/strata/asterisk:22';
const SHIPPED = join(SIPP_DIR, '..', 'asterisk'); // infra/asterisk: the compose stack's config
/** podman set up as infra/scripts/lib.sh does (infra/containers.conf: runc, cgroupfs, no default ulimits) */
const podmanEnv = {
  ...process.env,
  CONTAINERS_CONF: process.env['CONTAINERS_CONF'] ?? join(SHIPPED, '..', 'containers.conf'),
};
const mode = process.env['STRATA_ASTERISK_E2E'] ?? '';
/** why the suite does not run, or null when it does */
function skipReason(): string | null {
  if (mode === '1') return null;
  if (mode !== 'auto') return 'opt-in: STRATA_ASTERISK_E2E=1 (or auto)';
  const r = spawnSync('podman', ['image', 'exists', IMAGE], { timeout: 30_000, env: podmanEnv });
  if (r.error !== undefined) return `no podman (${r.error.message})`;
  return r.status === 0 ? null : `no image ${IMAGE} (pnpm asterisk:image builds it)`;
}
const skipped = skipReason();
const enabled = skipped === null;
const dir = tempDir('call-control-asterisk');
const monitor = join(dir, 'monitor');
const name = `strata14-ast-${process.pid}`;
let ast: ChildProcess | null = null;
let astLog = '';
let hook: EventSink | undefined;
let statusPort = 0;
const TOKEN = 'asterisk-e2e-token-14';
const hooked: CallEvent[] = [];
let P: Record<string, number>;

/**
 * A sipp caller (uac-dtmf.xml, auto-answering the core's requests) that calls `user` through
 * the core and sends `digits`, one per INFO, after the answer.
 */
function dtmfCaller(port: number, user: string, digits: string, timeoutS: number): SippRun {
  return sipp(
    'uac-dtmf.xml',
    port,
    [
      '-aa',
      '-s',
      user,
      '-m',
      '1',
      ...[...digits].flatMap((d, i) => ['-key', `d${i + 1}`, d]),
      `127.0.0.1:${P['core']}`,
    ],
    { cwd: dir, timeoutS },
  );
}

/** `text` with `from` replaced by `to`; throws when `from` is not there (the shipped file changed). */
function edit(file: string, text: string, from: string | RegExp, to: string): string {
  const out = text.replace(from, to);
  if (out === text) throw new Error(`infra/asterisk/${file}: ${String(from)} not found`);
  return out;
}

/**
 * The shipped infra/asterisk config (dialplan, modules, parking), adapted only where the
 * compose network differs from this test's loopback: pjsip.conf's addresses (bind, the
 * cores' identify, the ring-back's proxy: the core here, the edge in compose) and
 * res_parking.conf's parkingtime (5 s, so a timeout is seen).
 */
function asteriskConfig(astPort: number, corePort: number): Record<string, string> {
  const read = (file: string): string => readFileSync(join(SHIPPED, file), 'utf8');
  let pjsip = read('pjsip.conf');
  pjsip = edit('pjsip.conf', pjsip, /bind=0\.0\.0\.0:5060/g, `bind=127.0.0.1:${astPort}`);
  pjsip = edit('pjsip.conf', pjsip, /^match=.*$/gm, 'match=127.0.0.1');
  pjsip = edit('pjsip.conf', pjsip, /^#exec .*$/gm, '');
  pjsip = edit(
    'pjsip.conf',
    pjsip,
    'outbound_proxy=sip:edge:5060',
    `outbound_proxy=sip:127.0.0.1:${corePort}`,
  );
  return {
    'pjsip.conf': pjsip,
    'extensions.conf': read('extensions.conf'),
    'modules.conf': read('modules.conf'),
    'res_parking.conf': edit(
      'res_parking.conf',
      read('res_parking.conf'),
      /^parkingtime => \d+$/m,
      'parkingtime => 5',
    ),
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
  const r = spawnSync('podman', args, { encoding: 'utf8', timeout: 60_000, env: podmanEnv });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe.skipIf(!enabled)(
  `recording and park with a real Asterisk${enabled ? '' : ` — SKIPPED: ${skipped}`}`,
  () => {
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
        { stdio: ['ignore', 'pipe', 'pipe'], env: podmanEnv },
      );
      ast.stdout!.setEncoding('utf8').on('data', (d: string) => (astLog += d));
      ast.stderr!.setEncoding('utf8').on('data', (d: string) => (astLog += d));
      await until(
        'Asterisk ready',
        () => (astLog.includes('Asterisk Ready') ? true : undefined),
        60_000,
        200,
      );

      hook = await EventSink.start(hooked);
      const core = await startCore(dir, 'core-1', P['core']!, {
        registrar: { natKeepaliveSeconds: 0 },
        dialog: { keepaliveIntervalSeconds: 0 },
        admin: { token: TOKEN },
        events: {
          webhook: { url: hook.url },
        },
        features: { codes: [{ code: '*0', action: 'park' }] },
        actions: { transferHangupDelayMs: 300, recording: { mediaFeatureCode: '*3' } },
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
          {
            name: 'rec',
            match: { user: '^rec$' },
            record: true,
            targets: [{ mediaGroup: 'media' }],
          },
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
      await hook?.close();
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

    it("*3 as DTMF INFO from the caller: relayed unchanged, Asterisk's one-touch code records", async () => {
      const before = new Set(readdirSync(monitor));
      const run = dtmfCaller(P['caller']!, 'dtmf', '*311111', 30);
      const created = await until(
        'a new recording file',
        () => readdirSync(monitor).find((f) => !before.has(f) && f.startsWith('strata-touch-')),
        15_000,
      );
      expect(created).toMatch(/\.wav$/);
      // the webhook's delivery and Asterisk's MixMonitor are not ordered: wait for the events
      const dtmf = await until(
        'dtmf * and 3 at the webhook',
        () => {
          const d = hooked.filter((e) => e.type === 'dtmf').map((e) => e.data['digit']);
          return d.length >= 2 ? d : undefined;
        },
        5000,
      );
      expect(dtmf.slice(0, 2)).toEqual(['*', '3']);
      // the shipped `wait` holds the call (the digits after *3 change nothing): the admin ends it
      const call = await until(
        'the call to Asterisk',
        async () => (await fetchJson('/dialogs?user=dtmf&state=confirmed'))[0],
        10_000,
        100,
      );
      await fetchJson('/calls/end', { callId: call.callId });
      const r = await run.done; // the caller waits for the core's BYE
      expect(r.code, `${r.errors}\n${astLog.slice(-3000)}`).toBe(0);
    });

    it('*0 parks the other party into slot 701 of Asterisk (res_parking); another phone dialling 701 gets it', async () => {
      const b = uas('uas-refer.xml', P['bphone']!, 1, dir); // the party being parked (a phone)
      await listening(P['bphone']!);
      const a = dtmfCaller(P['caller']!, 'parkme', '11111*0', 20);
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
      const a = dtmfCaller(P['caller2']!, 'parkme', '11111*0', 20);
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

    it('admin record start/stop mid-call: the core sends the media server its code (*3) as DTMF INFO, MixMonitor starts then stops', async () => {
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
      /** the MixMonitors running on Asterisk's channels (this call's is the only one up) */
      let seen = '';
      const monitors = (): string[] => {
        const chans = podman(['exec', name, 'asterisk', '-rx', 'core show channels concise']).out;
        seen = chans;
        return chans
          .split('\n')
          .filter((l) => l.startsWith('PJSIP/'))
          .flatMap((l) => {
            const listed = podman([
              'exec',
              name,
              'asterisk',
              '-rx',
              `mixmonitor list ${l.split('!')[0]}`,
            ]).out;
            seen += listed;
            return listed.split('\n').filter((m) => m.includes('/monitor/'));
          });
      };
      expect(monitors()).toEqual([]);
      const started = await postJson('/calls/record', { callId: call.callId, action: 'start' });
      expect(started).toMatchObject({
        ok: true,
        action: 'start',
        server: `sip:127.0.0.1:${P['ast']}`,
      });
      const created = await until(
        'a new recording file',
        () => readdirSync(monitor).find((f) => !before.has(f) && f.startsWith('strata-touch-')),
        10_000,
      );
      expect(created).toMatch(/\.wav$/);
      await until(
        'MixMonitor running',
        () => (monitors().length === 1 ? true : undefined),
        5000,
        200,
      ).catch((err: unknown) => {
        throw new Error(`${String(err)}\n${seen}`);
      });
      const stopped = await postJson('/calls/record', { callId: call.callId, action: 'stop' });
      expect(stopped).toMatchObject({ ok: true, action: 'stop' });
      await until(
        'MixMonitor stopped',
        () => (monitors().length === 0 ? true : undefined),
        5000,
        200,
      ).catch((err: unknown) => {
        throw new Error(`${String(err)}\n${seen}`);
      });
      await fetchJson('/calls/end', { callId: call.callId });
      const ra = await a.done;
      expect(ra.code, ra.errors).toBe(0);
      expect(hooked.some((e) => e.type === 'recording-started' && e.callId === call.callId)).toBe(
        true,
      );
    });

    it("/metrics: the webhook sink's counters match what the receiver got, nothing dropped or failed", async () => {
      // every event the receiver got, and the sink counts each once it is acknowledged
      const text = await until(
        'the delivered counter equal to the events received',
        async () => {
          const body = (await httpGet(statusPort, '/metrics')).body;
          const m = /^strata_call_events_delivered_total\{sink="webhook"\} (\d+)$/m.exec(body);
          return m !== null && Number(m[1]) === hooked.length ? body : undefined;
        },
        5000,
        100,
      );
      expect(hooked.length).toBeGreaterThan(20);
      const published = /^strata_call_events_published_total (\d+)$/m.exec(text);
      expect(Number(published?.[1])).toBe(hooked.length);
      expect(text).not.toMatch(/^strata_call_events_(dropped|failed)_total\{/m);
      expect(text).toMatch(/^strata_call_events_queued\{sink="webhook"\} 0$/m);
    });
  },
);
