/**
 * Call forwarding through real processes (issue #13): sipp caller → core → registered sipp
 * UAs, settings set through the admin API.
 * - busy: alice answers 486 → the call goes to bob, whose INVITE must carry History-Info
 *   with a cause (uas-diverted.xml fails the call otherwise); the same for a 600 Busy
 *   Everywhere (forwarded by default, see CallForwarding);
 * - no answer after 1 s (a real short timer): alice rings, is CANCELled, bob answers; the
 *   config is switched to Diversion (RFC 5806) by a reload first;
 * - unconditional loop alice → bob → alice: the caller gets 482 Loop Detected.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  killAll,
  listening,
  readCdrs,
  register,
  sipp,
  startCore,
  stopProcess,
  tempDir,
  uas,
  until,
  type AppProcess,
  type SippRun,
  httpRequest,
} from './support/harness.js';
import { stablePorts } from './support/stable-ports.js';

const dir = tempDir('forwarding');
let core: AppProcess;
let P: Record<string, number>;
const runs: SippRun[] = [];

const http = (method: string, path: string, body?: unknown) =>
  httpRequest(core.statusPort, method, path, { body });

async function forward(user: string, settings: Record<string, unknown>): Promise<void> {
  const r = await http('POST', '/admin/forwarding', { user: `sip:${user}@127.0.0.1`, ...settings });
  expect(r.status, r.body).toBe(200);
}

function uasOn(scenario: string, port: number, calls: number): SippRun {
  const run = uas(scenario, port, calls, dir);
  runs.push(run);
  return run;
}

function caller(scenario: string, user: string): SippRun {
  const run = sipp(
    scenario,
    P['caller']!,
    ['-s', user, '-m', '1', '-d', '200', `127.0.0.1:${P['core']}`],
    { cwd: dir, timeoutS: 20 },
  );
  runs.push(run);
  return run;
}

beforeAll(async () => {
  writeFileSync(join(dir, 'rates.csv'), '44,trunk,0.01\n');
  const names = ['core', 'caller', 'alice', 'bob', 'trunk'];
  P = Object.fromEntries((await stablePorts(names.length)).map((p, i) => [names[i]!, p]));
  core = await startCore(dir, 'core-1', P['core']!, {
    routes: [
      { name: 'register', match: { methods: ['REGISTER'] }, targets: [{ registrar: true }] },
      { name: 'calls', match: { methods: ['INVITE'] }, targets: [{ registrar: true }] },
    ],
    mediaGroups: {},
    registrar: { natKeepaliveSeconds: 0 },
    dialog: { keepaliveIntervalSeconds: 0 },
    forwarding: { header: 'history-info' },
    // forwards to external numbers go through least-cost routing
    lcr: {
      carriers: { trunk: { uris: [`sip:127.0.0.1:${P['trunk']}`] } },
      tables: { default: { csv: join(dir, 'rates.csv') } },
    },
  });
  await core.waitForLog('rate table', (l) => l['msg'] === 'rate table loaded', 10_000);
  await register(P['core']!, 'alice', P['alice']!, dir);
  await register(P['core']!, 'bob', P['bob']!, dir);
});

afterEach(async () => {
  await Promise.all(runs.splice(0).map((r) => stopProcess(r.proc, 'SIGKILL')));
  for (const u of ['alice', 'bob'])
    await http('DELETE', `/admin/forwarding?user=${encodeURIComponent(`sip:${u}@127.0.0.1`)}`);
});

afterAll(async () => {
  await killAll();
});

describe('call forwarding (real processes)', () => {
  it('busy: alice answers 486, the call is forwarded to bob with History-Info', async () => {
    await forward('alice', { busy: 'bob' });
    const got = JSON.parse(
      (await http('GET', `/admin/forwarding?user=${encodeURIComponent('sip:alice@127.0.0.1')}`))
        .body,
    ) as { settings: Record<string, unknown> };
    expect(got.settings).toMatchObject({ busy: 'bob' });
    const alice = uasOn('uas-486.xml', P['alice']!, 1);
    const bob = uasOn('uas-diverted.xml', P['bob']!, 1);
    await Promise.all([listening(P['alice']!), listening(P['bob']!)]);
    const r = await caller('uac.xml', 'alice').done;
    expect(r.code, r.errors).toBe(0);
    expect((await alice.done).code).toBe(0);
    const b = await bob.done;
    expect(b.code, b.errors).toBe(0); // the INVITE carried History-Info with a cause
    expect(core.logs.some((l) => l['msg'] === 'call forwarded' && l['reason'] === 'busy')).toBe(
      true,
    );
    const cdr = await until(
      'the CDR of the forwarded call',
      () => readCdrs(join(dir, 'core-1-cdr.jsonl')).find((c) => c['forwarding'] !== undefined),
      5000,
    );
    expect(cdr['forwarding']).toEqual({
      diversions: [{ from: 'sip:alice@127.0.0.1', to: 'sip:bob@127.0.0.1', reason: 'busy' }],
    });
    expect(cdr['disposition']).toBe('ANSWERED');
  });

  it('busy: alice answers 600 Busy Everywhere, the call is forwarded to bob and answered', async () => {
    await forward('alice', { busy: 'bob' });
    const alice = uasOn('uas-600.xml', P['alice']!, 1);
    const bob = uasOn('uas-diverted.xml', P['bob']!, 1);
    await Promise.all([listening(P['alice']!), listening(P['bob']!)]);
    const r = await caller('uac.xml', 'alice').done;
    expect(r.code, r.errors).toBe(0); // the caller got bob's 200, not alice's 600
    expect((await alice.done).code).toBe(0); // the 600 was ACKed
    const b = await bob.done;
    expect(b.code, b.errors).toBe(0);
  });

  it('no answer after 1 s (Diversion after a config reload): alice rings, bob answers', async () => {
    const config = JSON.parse(readFileSync(core.configFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(
      core.configFile,
      JSON.stringify({ ...config, forwarding: { header: 'diversion' } }),
    );
    expect((await http('POST', '/admin/reload')).status).toBe(200);
    await forward('alice', { noAnswer: 'bob', noAnswerSeconds: 1 });
    const alice = uasOn('uas-ring.xml', P['alice']!, 1);
    const bob = uasOn('uas-diverted.xml', P['bob']!, 1);
    await Promise.all([listening(P['alice']!), listening(P['bob']!)]);
    const t0 = Date.now();
    const r = await caller('uac.xml', 'alice').done;
    expect(r.code, r.errors).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect((await alice.done).code).toBe(0); // CANCELled after 1 s of ringing
    const b = await bob.done;
    expect(b.code, b.errors).toBe(0); // the INVITE carried Diversion with a reason
    expect(core.logs.some((l) => l['msg'] === 'call forwarded' && l['reason'] === 'noAnswer')).toBe(
      true,
    );
  });

  it('busy to an external number: least-cost routing sends it to the carrier, History-Info on it', async () => {
    await forward('alice', { busy: '+44 20 7946 0000' });
    const alice = uasOn('uas-486.xml', P['alice']!, 1);
    const trunk = uasOn('uas-diverted.xml', P['trunk']!, 1);
    await Promise.all([listening(P['alice']!), listening(P['trunk']!)]);
    const r = await caller('uac.xml', 'alice').done;
    expect(r.code, r.errors).toBe(0);
    expect((await alice.done).code).toBe(0);
    const t = await trunk.done;
    expect(t.code, t.errors).toBe(0);
  });

  it('unconditional loop alice → bob → alice: 482 Loop Detected', async () => {
    await forward('alice', { unconditional: 'bob' });
    await forward('bob', { unconditional: 'sip:alice@127.0.0.1' });
    const r = await caller('uac-loop.xml', 'alice').done;
    expect(r.code, r.errors).toBe(0);
  });

  it('the admin API refuses bad settings', async () => {
    const r = await http('POST', '/admin/forwarding', {
      user: 'sip:alice@127.0.0.1',
      noAnswerSeconds: 'soon',
    });
    expect(r.status).toBe(422);
    expect(r.body).toContain('noAnswerSeconds');
  });
});
