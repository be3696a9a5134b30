/**
 * Route policies (issue #14) through real processes on loopback (redis-server, edge, core,
 * sipp UAs): a route whose policy ends an answered call after 1 s (BYE to both sipp legs,
 * CDR reason `policy`), and a route whose policies hold then resume the callee and end the
 * call (the callee's scenario checks a=sendonly, then a=sendrecv). The `policy` call events
 * are read back from the Redis Stream; the failover marks (route, policies run) are in
 * Redis during the call and gone once it ended.
 */
import { join } from 'node:path';
import { createRedisClient, type RedisClient } from '@strata/redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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
  edgeSeesCoresUp,
} from './support/harness.js';
import { streamEvents } from './support/event-sink.js';
import { TestRedis } from './support/redis.js';

const dir = tempDir('route-policies');
let edge: AppProcess;
let redisServer: TestRedis;
let redis: RedisClient;
let P: Record<string, number>;
const runs: SippRun[] = [];

const cdrs = (): Record<string, unknown>[] => readCdrs(join(dir, 'core-1-cdr.jsonl'));

function caller(user: string): SippRun {
  const r = sipp(
    'uac-wait-bye.xml',
    P['caller']!,
    ['-s', user, '-m', '1', '-aa', `127.0.0.1:${P['edge']}`],
    { cwd: dir, timeoutS: 25 },
  );
  runs.push(r);
  return r;
}

function callee(scenario: string): SippRun {
  const r = uas(scenario, P['media']!, 1, dir);
  runs.push(r);
  return r;
}

beforeAll(async () => {
  const names = ['edge', 'core', 'media', 'caller'];
  const ports = await freeUdpPorts(names.length);
  P = Object.fromEntries(names.map((n, i) => [n, ports[i]!]));
  redisServer = await TestRedis.start();
  redis = createRedisClient({ mode: 'standalone', host: '127.0.0.1', port: redisServer.port });
  const media = [{ mediaGroup: 'media' }];
  await startCore(dir, 'core-1', P['core']!, {
    store: { kind: 'redis', redis: { host: '127.0.0.1', port: redisServer.port } },
    registrar: { natKeepaliveSeconds: 0 },
    dialog: { keepaliveIntervalSeconds: 0 },
    events: { redisStream: { enabled: true } },
    routes: [
      {
        name: 'short',
        match: { user: '^short$' },
        targets: media,
        policies: [{ afterAnsweredSeconds: 1, action: 'end' }],
      },
      {
        name: 'held',
        match: { user: '^held$' },
        targets: media,
        policies: [
          { afterAnsweredSeconds: 0.5, action: 'hold', party: 'callee' },
          { afterAnsweredSeconds: 1, action: 'resume', party: 'callee' },
          { afterAnsweredSeconds: 1.5, action: 'end' },
        ],
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
});

describe('route policies (sipp through edge and core)', () => {
  it('end after 1 s: BYE to both legs, CDR party proxy reason policy, a policy event; no marks left', async () => {
    const b = callee('uas.xml');
    await listening(P['media']!);
    const a = caller('short');
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, ra.errors).toBe(0); // the caller got its BYE
    expect(rb.code, rb.errors).toBe(0); // the callee got its BYE
    const cdr = await until('CDR', () => cdrs().find((c) => c['toUri'] !== undefined), 5000);
    expect(cdr).toMatchObject({
      hangupParty: 'proxy',
      hangupReason: 'policy',
      disposition: 'ANSWERED',
    });
    const callId = String(cdr['callId']);
    const mine = await until(
      'ended + policy events',
      async () => {
        const e = (await streamEvents(redis)).filter((x) => x.callId === callId);
        return e.some((x) => x.type === 'policy') ? e : undefined;
      },
      5000,
    );
    const answered = mine.find((e) => e.type === 'answered')!;
    const policy = mine.find((e) => e.type === 'policy')!;
    expect(policy.data).toEqual({
      route: 'short',
      afterAnsweredSeconds: 1,
      action: 'end',
      ok: true,
    });
    expect(mine.find((e) => e.type === 'ended')!.data).toMatchObject({ reason: 'policy' });
    // about 1 s after the answer, not at once (bounded: loopback, a 2-core machine)
    expect(policy.ts - answered.ts).toBeGreaterThanOrEqual(950);
    expect(policy.ts - answered.ts).toBeLessThan(3000);
    await until(
      'policy marks removed',
      async () => ((await redis.keys('strata:policy:*')).length === 0 ? true : undefined),
      3000,
    );
  });

  it('hold the callee at 0.5 s (a=sendonly), resume at 1 s (a=sendrecv), end at 1.5 s', async () => {
    const b = callee('uas-held.xml');
    await listening(P['media']!);
    const a = caller('held');
    // between the hold (0.5 s) and the end (1.5 s): what an adopting core would re-arm from
    const marks = await until(
      'failover marks: route + the hold done',
      async () => {
        for (const k of await redis.keys('strata:policy:*')) {
          const h = await redis.hgetall(k);
          if (h['done:0'] !== undefined) return h;
        }
        return undefined;
      },
      3000,
      20,
    );
    expect(marks).toEqual({ route: 'held', count: '3', 'done:0': '1' });
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, ra.errors).toBe(0);
    expect(rb.code, rb.errors).toBe(0); // check_it: a=sendonly, then a=sendrecv, then BYE
    const cdr = await until(
      'CDR',
      () => cdrs().find((c) => typeof c['toUri'] === 'string' && c['toUri'].includes('held')),
      5000,
    );
    expect(cdr).toMatchObject({ hangupParty: 'proxy', hangupReason: 'policy' });
    const mine = await until(
      'policy events',
      async () => {
        const e = (await streamEvents(redis)).filter((x) => x.callId === cdr['callId']);
        return e.filter((x) => x.type === 'policy').length === 3 ? e : undefined;
      },
      5000,
    );
    expect(
      mine
        .filter((e) => ['held', 'resumed', 'policy', 'ended'].includes(e.type))
        .map((e) => [e.type, e.data['action'] ?? e.data['holder'] ?? null, e.data['ok'] ?? null]),
    ).toEqual([
      ['held', 'caller', null],
      ['policy', 'hold', true],
      ['resumed', 'caller', null],
      ['policy', 'resume', true],
      ['ended', null, null],
      ['policy', 'end', true],
    ]);
  });
});
