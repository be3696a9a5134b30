/**
 * Timers through real processes, on a core configured with short intervals (no sleeps in
 * the tests: they wait on the processes and /stats, bounded): in-dialog keep-alives end
 * a zombie call, NAT keep-alives remove a registered contact that stopped answering.
 */
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

const dir = tempDir('keepalive');
let edge: AppProcess;
let core: AppProcess;
let P: Record<string, number>;
const runs: SippRun[] = [];

beforeAll(async () => {
  const names = ['edge', 'core', 'media', 'caller', 'gone', 'stay'];
  const ports = await freeUdpPorts(names.length);
  P = Object.fromEntries(names.map((n, i) => [n, ports[i]!]));
  core = await startCore(dir, 'core-1', P['core']!, {
    // T1 50 ms: a non-INVITE transaction to a dead peer times out after 64·T1 = 3.2 s
    transaction: { t1Ms: 50, t2Ms: 400 },
    dialog: { keepaliveIntervalSeconds: 1, keepaliveFailures: 1 },
    registrar: {
      minExpires: 1,
      natKeepaliveSeconds: 1,
      natKeepaliveFailures: 2,
      natKeepaliveTimeoutMs: 300,
    },
    mediaGroups: {
      media: { targets: [{ uri: `sip:127.0.0.1:${P['media']}` }], probe: { enabled: false } },
    },
  });
  edge = await startEdge(dir, P['edge']!, [{ id: 'core-1', port: P['core']! }]);
  await edgeSeesCoresUp(edge, 1);
}, 30_000);

afterEach(async () => {
  await Promise.all(runs.splice(0).map((r) => stopProcess(r.proc, 'SIGKILL')));
});

afterAll(async () => {
  await killAll();
});

describe('keep-alives (edge + core + sipp, short intervals)', () => {
  it('zombie: the callee vanishes after 200 → keep-alive ends the dialog, BYE to the caller, CDR keepalive-failed', async () => {
    const callee = uas('uas.xml', P['media']!, 1, dir);
    runs.push(callee);
    await listening(P['media']!);
    const before = await core.stats();
    const caller = sipp(
      'uac-wait-bye.xml',
      P['caller']!,
      ['-aa', '-s', 'zombie', '-m', '1', `127.0.0.1:${P['edge']}`],
      { cwd: dir, timeoutS: 20 },
    );
    runs.push(caller);
    await until(
      'call confirmed',
      async () =>
        (await core.stats()).events.confirmed > before.events.confirmed ? true : undefined,
      5000,
    );
    await stopProcess(callee.proc, 'SIGKILL'); // the far end is gone, no BYE ever
    const r = await caller.done; // the caller's scenario ends only on the proxy's BYE
    expect(r.code, r.errors).toBe(0);
    const s = await until(
      'no active dialog',
      async () => {
        const st = await core.stats();
        return st.dialogs.active === 0 ? st : undefined;
      },
      5000,
    );
    expect(s.dialogs.terminated['keepalive-failed']).toBe(1);
    expect(s.dialogs.keepaliveFailures).toBeGreaterThanOrEqual(1);
    const pid = caller.proc.pid;
    const cdr = readCdrs(join(dir, 'core-1-cdr.jsonl')).filter((c) =>
      String(c['callId']).endsWith(`-${pid}@127.0.0.1`),
    );
    expect(cdr).toHaveLength(1);
    expect(cdr[0]?.['hangupParty']).toBe('keepalive-failed');
    expect(cdr[0]?.['disposition']).toBe('ANSWERED');
  });

  it('NAT keep-alive: a registered contact that stops answering is removed, a live one stays', async () => {
    // "stay" keeps answering OPTIONS (sipp -aa); "gone" registered and left (nothing listens)
    await register(P['edge']!, 'stay', P['stay']!, dir, 60);
    const phone = uas('uas.xml', P['stay']!, 1000, dir);
    runs.push(phone);
    await listening(P['stay']!);
    await register(P['edge']!, 'gone', P['gone']!, dir, 60);
    const start = await core.stats();
    expect(start.registrations.contacts).toBe(2);
    const s = await until(
      'dead contact removed',
      async () => {
        const st = await core.stats();
        return st.registrations.natKeepalive.removed > start.registrations.natKeepalive.removed
          ? st
          : undefined;
      },
      8000,
    );
    expect(s.registrations.contacts).toBe(1);
    expect(s.registrations.aors).toBe(1);
    // the live one survives further rounds
    const sent = s.registrations.natKeepalive.sent;
    const later = await until(
      'two more keep-alive rounds',
      async () => {
        const st = await core.stats();
        return st.registrations.natKeepalive.sent >= sent + 2 ? st : undefined;
      },
      5000,
    );
    expect(later.registrations.contacts).toBe(1);
  });
});
