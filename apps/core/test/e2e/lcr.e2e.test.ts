/**
 * Least-cost routing through real processes (issue #13): sipp callers → core → three
 * carriers (sipp UAS / raw UAS on their own ports), the core on the memory store.
 * - the cheapest carrier answers 503 → the call completes on the second;
 * - a carrier at its concurrent-call limit is skipped;
 * - the cheapest carrier is killed → its probes mark it down → calls go straight to the next;
 * - routing change mid-call: 50 calls up through carrier A, the rate file is rewritten so
 *   the prefix goes to B (file watch), the callers hang up: every BYE reaches A (Record-Route
 *   and the dialog's remote target), none reaches B, all 50 complete; new calls go to B.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  killAll,
  listening,
  readCdrs,
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
import { RawUas } from './support/raw-uas.js';

const dir = tempDir('lcr');
let core: AppProcess;
let P: Record<string, number>;
const runs: SippRun[] = [];
const raws: RawUas[] = [];

const http = (port: number, method: string, path: string) => httpRequest(port, method, path);

interface LcrStats {
  carriers: Record<string, { active: number; gateways: { uri: string; up: boolean }[] }>;
  tableReloads: number;
}

async function lcrStats(): Promise<LcrStats> {
  return JSON.parse((await http(core.statusPort, 'GET', '/admin/lcr')).body) as LcrStats;
}

async function gatewayUp(carrier: string, up: boolean): Promise<void> {
  await until(
    `${carrier} ${up ? 'up' : 'down'}`,
    async () => ((await lcrStats()).carriers[carrier]?.gateways[0]?.up === up ? true : undefined),
    8000,
    100,
  );
}

function uasOn(scenario: string, port: number, calls: number): SippRun {
  const run = uas(scenario, port, calls, dir);
  runs.push(run);
  return run;
}

function caller(number: string, calls: number, extra: string[] = []): SippRun {
  const run = sipp(
    'uac.xml',
    P['caller']!,
    ['-s', number, '-m', String(calls), ...extra, `127.0.0.1:${P['core']}`],
    { cwd: dir, timeoutS: 30 },
  );
  runs.push(run);
  return run;
}

function cdrsOf(run: SippRun): Record<string, unknown>[] {
  const pid = run.proc.pid;
  return readCdrs(join(dir, 'core-1-cdr.jsonl')).filter((c) =>
    String(c['callId']).endsWith(`-${pid}@127.0.0.1`),
  );
}

const lcrOf = (c: Record<string, unknown>) =>
  c['lcr'] as { carrier: string; attempts: Record<string, unknown>[] };

beforeAll(async () => {
  const names = ['core', 'caller', 'cheap', 'mid', 'dear', 'A', 'B', 'authy', 'silent'];
  P = Object.fromEntries((await stablePorts(names.length)).map((p, i) => [names[i]!, p]));
  writeFileSync(
    join(dir, 'rates.csv'),
    [
      'prefix,carrier,cost',
      '44,cheap,0.010',
      '44,mid,0.020',
      '44,dear,0.030',
      '33,A,0.010',
      '33,B,0.020',
      '49,dear,0.010',
      '49,mid,0.020',
      '61,authy,0.010',
      '81,silent,0.010',
      '81,mid,0.020',
    ].join('\n'),
  );
  const probe = { enabled: true, intervalMs: 200, timeoutMs: 150, downAfter: 2, upAfter: 1 };
  core = await startCore(dir, 'core-1', P['core']!, {
    routes: [
      {
        name: 'pstn',
        match: { methods: ['INVITE'], prefix: ['44', '33', '49', '61', '81'] },
        targets: [{ lcr: true }],
      },
    ],
    mediaGroups: {},
    dialog: { keepaliveIntervalSeconds: 0 },
    lcr: {
      carriers: {
        // sipp's UAS answers no out-of-call OPTIONS: only `dear` (uas-probed.xml) is probed
        cheap: { uris: [`sip:127.0.0.1:${P['cheap']}`], maxConcurrent: 1 },
        mid: { uris: [`sip:127.0.0.1:${P['mid']}`] },
        dear: { uris: [`sip:127.0.0.1:${P['dear']}`], probe },
        A: { uris: [`sip:127.0.0.1:${P['A']}`] },
        silent: { uris: [`sip:127.0.0.1:${P['silent']}`], attemptTimeoutSeconds: 1 },
        authy: {
          uris: [`sip:127.0.0.1:${P['authy']}`],
          auth: { username: 'trunk1', password: 's3cret' },
        },
        B: { uris: [`sip:127.0.0.1:${P['B']}`] },
      },
      tables: { default: { csv: join(dir, 'rates.csv') } },
    },
  });
  await core.waitForLog('rate table', (l) => l['msg'] === 'rate table loaded', 10_000);
});

afterEach(async () => {
  await Promise.all(runs.splice(0).map((r) => stopProcess(r.proc, 'SIGKILL')));
  await Promise.all(raws.splice(0).map((r) => r.close()));
});

afterAll(async () => {
  await killAll();
});

describe('least-cost routing (real processes)', () => {
  it('the cheapest carrier answers 503: the call completes on the second, the CDR names both attempts', async () => {
    const cheap = uasOn('uas-503.xml', P['cheap']!, 1);
    const mid = uasOn('uas.xml', P['mid']!, 1);
    await Promise.all([listening(P['cheap']!), listening(P['mid']!)]);
    const call = caller('442071234567', 1, ['-d', '200']);
    const r = await call.done;
    expect(r.code, r.errors).toBe(0);
    expect((await cheap.done).code).toBe(0);
    expect((await mid.done).code).toBe(0);
    const cdr = await until('the CDR', () => cdrsOf(call)[0], 5000);
    expect(cdr['disposition']).toBe('ANSWERED');
    expect(lcrOf(cdr).carrier).toBe('mid');
    expect(lcrOf(cdr).attempts).toMatchObject([
      { carrier: 'cheap', cost: 0.01, status: 503 },
      { carrier: 'mid', cost: 0.02, status: 200 },
    ]);
  });

  it('a carrier at its concurrent-call limit (cheap: 1) is skipped for the second call', async () => {
    const cheap = uasOn('uas.xml', P['cheap']!, 1);
    const mid = uasOn('uas.xml', P['mid']!, 1);
    await Promise.all([listening(P['cheap']!), listening(P['mid']!)]);
    const calls = caller('442071234567', 2, ['-l', '2', '-r', '10', '-d', '1500']);
    const r = await calls.done;
    expect(r.code, r.errors).toBe(0);
    expect((await cheap.done).code).toBe(0);
    expect((await mid.done).code).toBe(0);
    const cdrs = await until(
      'two CDRs',
      () => (cdrsOf(calls).length === 2 ? cdrsOf(calls) : undefined),
      5000,
    );
    const carriers = cdrs.map((c) => lcrOf(c).carrier).sort();
    expect(carriers).toEqual(['cheap', 'mid']);
    const second = cdrs.find((c) => lcrOf(c).carrier === 'mid')!;
    expect(lcrOf(second).attempts[0]).toEqual({
      carrier: 'cheap',
      cost: 0.01,
      skipped: 'concurrent-limit',
    });
    expect((await lcrStats()).carriers['cheap']!.active).toBe(0);
  });

  it('the cheapest carrier is killed: probes mark it down and calls go straight to the next', async () => {
    // prefix 49: dear 0.01, mid 0.02; dear answers the probes (uas-probed.xml, no call limit)
    const dear = sipp('uas-probed.xml', P['dear']!, ['-aa'], { cwd: dir, timeoutS: 60 });
    runs.push(dear);
    await listening(P['dear']!);
    await gatewayUp('dear', true);
    dear.proc.kill('SIGKILL');
    await gatewayUp('dear', false);
    const mid = uasOn('uas.xml', P['mid']!, 3);
    await listening(P['mid']!);
    const t0 = Date.now();
    const calls = caller('4930123456', 3, ['-r', '10', '-d', '100']);
    const r = await calls.done;
    expect(r.code, r.errors).toBe(0);
    // straight to the next: no waiting on a dead carrier's timeout (Timer B would be 32 s)
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await mid.done).code).toBe(0);
    const cdrs = await until(
      'three CDRs',
      () => (cdrsOf(calls).length === 3 ? cdrsOf(calls) : undefined),
      5000,
    );
    for (const c of cdrs) {
      expect(lcrOf(c).carrier).toBe('mid');
      expect(lcrOf(c).attempts[0]).toEqual({ carrier: 'dear', cost: 0.01, skipped: 'down' });
    }
  });

  it('a carrier that never answers: after its attempt timeout (1 s) the call moves on', async () => {
    const silent = uasOn('uas-silent.xml', P['silent']!, 1);
    const mid = uasOn('uas.xml', P['mid']!, 1);
    await Promise.all([listening(P['silent']!), listening(P['mid']!)]);
    const t0 = Date.now();
    const call = caller('81312345678', 1, ['-d', '200']);
    const r = await call.done;
    expect(r.code, r.errors).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect((await mid.done).code).toBe(0);
    expect(silent.proc.exitCode).toBeNull(); // still holding the unanswered INVITE
    const cdr = await until('the CDR', () => cdrsOf(call)[0], 5000);
    expect(lcrOf(cdr).attempts).toMatchObject([
      { carrier: 'silent', status: 408 },
      { carrier: 'mid', status: 200 },
    ]);
  });

  it('a carrier asking for credentials (401) gets Authorization (RFC 3261 §22.2) and takes the call', async () => {
    const authy = uasOn('uas-auth.xml', P['authy']!, 1); // sipp checks the digest (verifyauth)
    await listening(P['authy']!);
    const call = caller('61212345678', 1, ['-d', '200']);
    const r = await call.done;
    expect(r.code, r.errors).toBe(0);
    const a = await authy.done;
    expect(a.code, a.errors).toBe(0);
    const cdr = await until('the CDR', () => cdrsOf(call)[0], 5000);
    expect(lcrOf(cdr).attempts).toMatchObject([
      { carrier: 'authy', status: 401 },
      { carrier: 'authy', auth: true },
    ]);
  });

  it('routing change mid-call: 50 calls up via A, table reloaded to B, every BYE still reaches A; new calls go to B', async () => {
    const a = await RawUas.start(P['A']!);
    const b = await RawUas.start(P['B']!);
    raws.push(a, b);
    const reloadsBefore = (await lcrStats()).tableReloads;
    const calls = caller('33123456789', 50, ['-l', '50', '-r', '25', '-d', '8000']);
    await until('50 calls up via A', () => (a.acks.size === 50 ? true : undefined), 15_000, 50);
    expect(b.invites.size).toBe(0);
    // the rate file changes under the running core: the watch reloads it
    writeFileSync(join(dir, 'rates.csv'), ['33,B,0.010', '33,A,0.020', '44,mid,0.02'].join('\n'));
    await until(
      'the new table',
      async () => {
        const r = await http(core.statusPort, 'GET', '/admin/lcr/lookup?number=33123456789');
        const plan = JSON.parse(r.body) as { routes: { carrier: string }[] };
        return plan.routes[0]?.carrier === 'B' ? true : undefined;
      },
      5000,
      50,
    );
    expect((await lcrStats()).tableReloads).toBeGreaterThan(reloadsBefore);
    // the swap happened while every call was still up
    expect(a.byes.size).toBe(0);
    const r = await calls.done;
    expect(r.code, r.errors).toBe(0); // every caller's BYE got its 200: all 50 complete
    expect(a.byes.size).toBe(50);
    expect([...a.invites].every((id) => a.byes.has(id))).toBe(true);
    expect(b.byes.size).toBe(0);
    expect(b.invites.size).toBe(0);
    // new calls take the new table
    const after = caller('33123456789', 5, ['-r', '10', '-d', '100']);
    expect((await after.done).code).toBe(0);
    expect(b.invites.size).toBe(5);
    expect(b.byes.size).toBe(5);
    expect(a.invites.size).toBe(50);
    const cdrs = await until(
      '50 CDRs',
      () => (cdrsOf(calls).length === 50 ? cdrsOf(calls) : undefined),
      5000,
    );
    expect(cdrs.every((c) => lcrOf(c).carrier === 'A' && c['disposition'] === 'ANSWERED')).toBe(
      true,
    );
    // the admin reload endpoint re-reads the same file
    const reload = await http(core.statusPort, 'POST', '/admin/lcr/reload');
    expect(reload.status).toBe(200);
    expect(JSON.parse(reload.body)).toMatchObject({ reloaded: true, tables: [{ prefixes: 2 }] });
  }, 60_000);
});
