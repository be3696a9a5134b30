/**
 * Operations (#9) through real processes on loopback: Prometheus metrics after a sipp call
 * (values, not only names), HEP copies at a UDP collector, bad config → exit 2 naming the
 * field, admin API auth, end-dialog (BYE to both sipp sides), drain with 20 calls up.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { join } from 'node:path';
import { decodeHep3, type HepPacket } from '@strata/ops';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CORE_MAIN,
  EDGE_MAIN,
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

const TOKEN = 'test-admin-token-0123';
const dir = tempDir('ops');
let edge: AppProcess;
let core: AppProcess;
let P: Record<string, number>;
let collector: dgram.Socket;
const hep: HepPacket[] = [];
const runs: SippRun[] = [];

const http = (port: number, method: string, path: string, headers: Record<string, string> = {}) =>
  httpRequest(port, method, path, { headers });
const admin = (app: AppProcess, method: string, path: string) =>
  http(app.statusPort, method, path, { authorization: `Bearer ${TOKEN}` });

/** Prometheus text → value of one series (labels as written by prom-client), or undefined. */
function series(text: string, name: string, labels = ''): number | undefined {
  const key = labels === '' ? `${name} ` : `${name}{${labels}} `;
  const line = text.split('\n').find((l) => l.startsWith(key));
  return line === undefined ? undefined : Number(line.slice(key.length));
}

async function metrics(app: AppProcess): Promise<string> {
  const r = await http(app.statusPort, 'GET', '/metrics');
  expect(r.status).toBe(200);
  return r.body;
}

const coreConfig = (media: number, extra: Record<string, unknown> = {}) => ({
  registrar: { natKeepaliveSeconds: 0 },
  mediaGroups: {
    media: { targets: [{ uri: `sip:127.0.0.1:${media}` }], probe: { enabled: false } },
  },
  admin: { token: TOKEN },
  ...extra,
});

beforeAll(async () => {
  const names = [
    'edge',
    'core',
    'media',
    'caller',
    'hep',
    'edge2',
    'core2',
    'media2',
    'caller2',
    'late',
  ];
  const ports = await freeUdpPorts(names.length);
  P = Object.fromEntries(names.map((n, i) => [n, ports[i]!]));
  collector = dgram.createSocket('udp4');
  collector.on('message', (m) => hep.push(decodeHep3(m)));
  await new Promise<void>((r) => collector.bind(P['hep'], '127.0.0.1', () => r()));
  core = await startCore(
    dir,
    'core-1',
    P['core']!,
    coreConfig(P['media']!, { hep: { enabled: true, host: '127.0.0.1', port: P['hep'] } }),
  );
  edge = await startEdge(dir, P['edge']!, [{ id: 'core-1', port: P['core']! }], {
    admin: { token: TOKEN },
  });
  await edgeSeesCoresUp(edge, 1);
}, 30_000);

afterEach(async () => {
  await Promise.all(runs.splice(0).map((r) => stopProcess(r.proc, 'SIGKILL')));
});

afterAll(async () => {
  collector.close();
  await killAll();
});

describe('metrics and HEP', () => {
  it('after a sipp call: INVITE in, 2xx out, dialogs back to 0, one CDR, calls 1; process metrics; edge ring', async () => {
    const callee = uas('uas.xml', P['media']!, 1, dir);
    runs.push(callee);
    await listening(P['media']!);
    const call = sipp(
      'uac.xml',
      P['caller']!,
      ['-s', 'metrics', '-m', '1', `127.0.0.1:${P['edge']}`],
      {
        cwd: dir,
        timeoutS: 15,
      },
    );
    const r = await call.done;
    expect(r.code, r.errors).toBe(0);
    expect((await callee.done).code).toBe(0);

    const text = await until(
      'dialogs back to 0 and the CDR counted',
      async () => {
        const t = await metrics(core);
        return series(t, 'strata_dialogs_active') === 0 &&
          series(t, 'strata_cdrs_written_total') === 1
          ? t
          : undefined;
      },
      5000,
    );
    expect(
      series(text, 'strata_sip_requests_total', 'direction="in",method="INVITE"'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      series(text, 'strata_sip_requests_total', 'direction="in",method="BYE"'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      series(text, 'strata_sip_requests_total', 'direction="out",method="INVITE"'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      series(text, 'strata_sip_responses_total', 'direction="out",method="INVITE",class="2xx"'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      series(text, 'strata_sip_responses_total', 'direction="in",method="INVITE",class="2xx"'),
    ).toBeGreaterThanOrEqual(1);
    expect(series(text, 'strata_calls_total')).toBe(1);
    expect(series(text, 'strata_dialogs_early')).toBe(0);
    expect(series(text, 'strata_dialogs_terminated_total', 'party="caller"')).toBe(1);
    expect(series(text, 'strata_sip_parse_errors_total')).toBe(0);
    expect(series(text, 'strata_sip_retransmissions_absorbed_total')).toBeGreaterThanOrEqual(0);
    expect(series(text, 'strata_transactions_active', 'kind="server"')).toBeGreaterThanOrEqual(0);
    expect(
      series(text, 'strata_media_server_up', `group="media",uri="sip:127.0.0.1:${P['media']}"`),
    ).toBe(1);
    expect(series(text, 'strata_store_degraded')).toBe(0);
    expect(series(text, 'strata_ready')).toBe(1);
    expect(series(text, 'strata_draining')).toBe(0);
    expect(series(text, 'strata_replication_lag_seconds_count')).toBe(0);
    expect(series(text, 'process_resident_memory_bytes')).toBeGreaterThan(1e6);
    expect(series(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(text).toContain('nodejs_eventloop_lag_seconds');

    const e = await metrics(edge);
    expect(series(e, 'strata_edge_core_up', 'core="core-1"')).toBe(1);
    expect(series(e, 'strata_edge_core_draining', 'core="core-1"')).toBe(0);
    expect(series(e, 'strata_edge_ring_cores_up')).toBe(1);
    expect(
      series(e, 'strata_sip_requests_total', 'direction="in",method="INVITE"'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      series(e, 'strata_sip_requests_total', 'direction="out",method="INVITE"'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      series(e, 'strata_sip_responses_total', 'direction="out",method="INVITE",class="2xx"'),
    ).toBeGreaterThanOrEqual(1);
    expect(series(e, 'strata_edge_requests_forwarded_total')).toBeGreaterThanOrEqual(3);
    expect(series(e, 'process_resident_memory_bytes')).toBeGreaterThan(1e6);

    // HEP: the INVITE as the core received it from the edge, Call-ID as correlation id
    const callId = await until(
      'HEP copy of the INVITE received by the core',
      () =>
        hep.find(
          (p) =>
            p.dstPort === P['core'] &&
            p.payload.toString('latin1').startsWith('INVITE sip:metrics@'),
        )?.correlationId ?? undefined,
      3000,
    );
    const invite = hep.find(
      (p) => p.dstPort === P['core'] && p.payload.toString('latin1').startsWith('INVITE '),
    )!;
    expect(invite).toMatchObject({
      ipProtocol: 17,
      protocolType: 1,
      captureId: 2001,
      srcAddress: '127.0.0.1',
      dstAddress: '127.0.0.1',
      srcPort: P['edge'],
    });
    expect(invite.payload.toString('latin1')).toContain(`Call-ID: ${callId}\r\n`);
    // and what the core sent: the INVITE to the media server, the 200 back to the edge
    const out = hep.filter((p) => p.correlationId === callId && p.srcPort === P['core']);
    expect(
      out.some(
        (p) => p.dstPort === P['media'] && p.payload.toString('latin1').startsWith('INVITE '),
      ),
    ).toBe(true);
    expect(
      out.some(
        (p) => p.dstPort === P['edge'] && p.payload.toString('latin1').startsWith('SIP/2.0 200'),
      ),
    ).toBe(true);
  });
});

describe('bad config', () => {
  for (const [app, main] of [
    ['core', CORE_MAIN],
    ['edge', EDGE_MAIN],
  ] as const) {
    it(`${app}: exit code 2, message names the field`, async () => {
      const proc = spawn(process.execPath, [main], {
        cwd: dir,
        env: {
          PATH: process.env['PATH'] ?? '',
          STRATA_STATUS__PORT: '"not-a-port"',
          STRATA_HEP__PORT: '70000',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      const code = await new Promise<number | null>((resolve) => {
        const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        proc.once('exit', (c) => {
          clearTimeout(t);
          resolve(c);
        });
      });
      expect(code).toBe(2);
      expect(err).toContain('status.port');
      expect(err).toContain('hep.port');
    });
  }
});

describe('admin API', () => {
  it('401 without (or with a wrong) token, 200 with it', async () => {
    for (const app of [core, edge]) {
      expect((await http(app.statusPort, 'GET', '/admin/drain')).status).toBe(401);
      expect(
        (
          await http(app.statusPort, 'GET', '/admin/drain', {
            authorization: 'Bearer nope-nope-nope',
          })
        ).status,
      ).toBe(401);
      expect((await admin(app, 'GET', '/admin/drain')).status).toBe(200);
    }
    const ring = JSON.parse((await admin(edge, 'GET', '/admin/ring')).body) as {
      cores: { id: string; up: boolean; draining: boolean }[];
    };
    expect(ring.cores).toEqual([
      expect.objectContaining({ id: 'core-1', up: true, draining: false }),
    ]);
    const regs = await admin(core, 'GET', '/admin/registrations');
    expect(regs.status).toBe(200);
    expect(JSON.parse(regs.body)).toEqual({ aors: 0, registrations: {} });
    const reload = await admin(core, 'POST', '/admin/reload');
    expect(reload.status).toBe(200);
    expect(JSON.parse(reload.body)).toMatchObject({ reloaded: true });
  });

  it('end-dialog: both sipp sides get a BYE, CDR hangup party proxy', async () => {
    const callee = uas('uas.xml', P['media']!, 1, dir);
    runs.push(callee);
    await listening(P['media']!);
    const caller = sipp(
      'uac-wait-bye.xml',
      P['caller']!,
      ['-aa', '-s', 'endme', '-m', '1', `127.0.0.1:${P['edge']}`],
      {
        cwd: dir,
        timeoutS: 20,
      },
    );
    runs.push(caller);
    const listed = await until(
      'the dialog is confirmed',
      async () => {
        const r = JSON.parse((await admin(core, 'GET', '/admin/dialogs?user=endme')).body) as {
          dialogs: { id: string; callId: string; state: string }[];
        };
        return r.dialogs.find((d) => d.state === 'confirmed');
      },
      5000,
    );
    const byCallId = JSON.parse(
      (await admin(core, 'GET', `/admin/dialogs?callId=${encodeURIComponent(listed.callId)}`)).body,
    ) as { count: number };
    expect(byCallId.count).toBe(1);
    const end = await admin(
      core,
      'POST',
      `/admin/dialogs/end?callId=${encodeURIComponent(listed.callId)}`,
    );
    expect(end.status).toBe(200);
    expect(JSON.parse(end.body)).toEqual({ ended: [listed.id] });
    const [a, b] = await Promise.all([caller.done, callee.done]);
    expect(a.code, a.errors).toBe(0); // received the BYE and answered it
    expect(b.code, b.errors).toBe(0);
    const cdr = readCdrs(join(dir, 'core-1-cdr.jsonl')).find((c) => c['callId'] === listed.callId);
    expect(cdr?.['hangupParty']).toBe('proxy');
    expect(
      (await admin(core, 'POST', `/admin/dialogs/end?callId=${encodeURIComponent(listed.callId)}`))
        .status,
    ).toBe(404);
  });
});

describe('drain', () => {
  it('20 calls up → drain: new INVITE gets 503, the 20 end by their BYEs, the core exits 0', async () => {
    const core2 = await startCore(
      dir,
      'core-2',
      P['core2']!,
      coreConfig(P['media2']!, { drain: { deadlineSeconds: 30 } }),
    );
    const edge2 = await startEdge(dir, P['edge2']!, [{ id: 'core-2', port: P['core2']! }], {
      nodeId: 'edge-2',
      admin: { token: TOKEN },
    });
    await edgeSeesCoresUp(edge2, 1);
    const callee = uas('uas.xml', P['media2']!, 20, dir);
    runs.push(callee);
    await listening(P['media2']!);
    const calls = sipp(
      'uac.xml',
      P['caller2']!,
      ['-s', 'drain', '-m', '20', '-l', '20', '-r', '40', '-d', '4000', `127.0.0.1:${P['edge2']}`],
      { cwd: dir, timeoutS: 30 },
    );
    runs.push(calls);
    await until(
      '20 calls up',
      async () => ((await core2.stats()).dialogs.confirmed === 20 ? true : undefined),
      10_000,
    );
    const exited = new Promise<number | null>(
      (resolve) => core2.proc.once('close', (c) => resolve(c)), // after its last log lines
    );
    const drain = await admin(core2, 'POST', '/admin/drain');
    expect(drain.status).toBe(202);
    expect(JSON.parse(drain.body)).toMatchObject({ draining: true, activeDialogs: 20 });
    expect((await http(core2.statusPort, 'GET', '/ready')).status).toBe(503);

    // a new call through the edge: 503 (from the core, or from the edge once its probes saw the 503s)
    const late = sipp('uac.xml', P['late']!, ['-s', 'late', '-m', '1', `127.0.0.1:${P['edge2']}`], {
      cwd: dir,
      timeoutS: 5,
    });
    runs.push(late);
    const lateRun = await late.done;
    expect(lateRun.code).not.toBe(0);
    expect(lateRun.errors + lateRun.stdout).toMatch(/503/);
    // the edge learns the core drains: out of the ring for new calls, in-dialog still routed to it
    await until(
      'edge marks core-2 draining',
      async () =>
        series(await metrics(edge2), 'strata_edge_core_draining', 'core="core-2"') === 1
          ? true
          : undefined,
      5000,
    );

    const done = await calls.done;
    expect(done.code, done.errors).toBe(0); // all 20: their BYEs got 200
    expect((await callee.done).code).toBe(0);
    const code = await Promise.race([
      exited,
      new Promise<string>((r) => setTimeout(() => r('still running'), 10_000).unref()),
    ]);
    expect(code).toBe(0);
    const cdrs = readCdrs(join(dir, 'core-2-cdr.jsonl'));
    expect(cdrs.filter((c) => c['disposition'] === 'ANSWERED')).toHaveLength(20);
    expect(core2.logs.some((l) => l['msg'] === 'drain complete' && l['why'] === 'idle')).toBe(true);
  });
});
