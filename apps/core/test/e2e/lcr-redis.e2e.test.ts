/**
 * LCR and forwarding on the Redis store (issue #13), real redis-server + core + sipp:
 * the rate table is a Redis hash (reloaded through the admin API after an HSET), and
 * forwarding settings written through the admin API land in the Redis hash every core
 * reads; an unconditional forward to an external number goes out through LCR.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  killAll,
  listening,
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
import { TestRedis } from './support/redis.js';
import { stablePorts } from './support/stable-ports.js';

const dir = tempDir('lcr-redis');
let redis: TestRedis;
let client: Redis;
let core: AppProcess;
let P: Record<string, number>;
const runs: SippRun[] = [];

const http = (method: string, path: string, body?: unknown) =>
  httpRequest(core.statusPort, method, path, { body });

beforeAll(async () => {
  const names = ['core', 'caller', 'trunk', 'trunk2'];
  P = Object.fromEntries((await stablePorts(names.length)).map((p, i) => [names[i]!, p]));
  redis = await TestRedis.start();
  client = new Redis({ host: '127.0.0.1', port: redis.port, lazyConnect: true });
  await client.connect();
  await client.hset('strata:rates', '44', 'trunk:0.010,trunk2:0.020');
  core = await startCore(dir, 'core-1', P['core']!, {
    store: { kind: 'redis', redis: { host: '127.0.0.1', port: redis.port } },
    routes: [{ name: 'calls', match: { methods: ['INVITE'] }, targets: [{ registrar: true }] }],
    mediaGroups: {},
    registrar: { natKeepaliveSeconds: 0 },
    dialog: { keepaliveIntervalSeconds: 0 },
    lcr: {
      carriers: {
        trunk: { uris: [`sip:127.0.0.1:${P['trunk']}`] },
        trunk2: { uris: [`sip:127.0.0.1:${P['trunk2']}`] },
      },
      tables: { default: { redisKey: 'strata:rates' } },
    },
    // seeded from the file while the Redis client is still connecting (retried)
    forwarding: { users: { 'sip:bob@127.0.0.1': { busy: 'carol' } } },
  });
  await core.waitForLog('rate table', (l) => l['msg'] === 'rate table loaded', 10_000);
});

afterEach(async () => {
  await Promise.all(runs.splice(0).map((r) => stopProcess(r.proc, 'SIGKILL')));
});

afterAll(async () => {
  client.disconnect();
  await killAll();
  await redis.kill();
});

describe('LCR and forwarding on Redis', () => {
  it('forwarding settings live in Redis; alice → external number → the cheapest carrier of the Redis table', async () => {
    const set = await http('POST', '/admin/forwarding', {
      user: 'sip:alice@127.0.0.1',
      unconditional: '+44 20 7946 0000',
    });
    expect(set.status, set.body).toBe(200);
    expect(
      JSON.parse((await client.hget('strata:forwarding', 'sip:alice@127.0.0.1')) ?? 'null'),
    ).toEqual({ unconditional: '+44 20 7946 0000', noAnswerSeconds: 20 });
    const bob = await until(
      "bob's seeded settings in Redis",
      async () => (await client.hget('strata:forwarding', 'sip:bob@127.0.0.1')) ?? undefined,
      5000,
    );
    expect(JSON.parse(bob)).toEqual({ busy: 'carol', noAnswerSeconds: 20 });
    const trunk = uas('uas-diverted.xml', P['trunk']!, 1, dir);
    runs.push(trunk);
    await listening(P['trunk']!);
    const call = sipp(
      'uac.xml',
      P['caller']!,
      ['-s', 'alice', '-m', '1', '-d', '200', `127.0.0.1:${P['core']}`],
      { cwd: dir, timeoutS: 20 },
    );
    runs.push(call);
    const r = await call.done;
    expect(r.code, r.errors).toBe(0);
    const t = await trunk.done;
    expect(t.code, t.errors).toBe(0); // History-Info with cause 302 on the carrier's INVITE
  });

  it('an HSET then POST /admin/lcr/reload: new calls see the new costs', async () => {
    await client.hset('strata:rates', '44', 'trunk:0.030,trunk2:0.020');
    const reload = await http('POST', '/admin/lcr/reload');
    expect(reload.status, reload.body).toBe(200);
    const plan = JSON.parse(
      (await http('GET', '/admin/lcr/lookup?number=%2B442079460000')).body,
    ) as { prefix: string; routes: { carrier: string }[] };
    expect(plan.prefix).toBe('44');
    expect(plan.routes.map((x) => x.carrier)).toEqual(['trunk2', 'trunk']);
  });
});
