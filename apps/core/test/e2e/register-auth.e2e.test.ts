/**
 * Digest authentication of REGISTER through real processes (RFC 3261 §10.3 step 3, §22):
 * sipp registers with credentials straight to a core reading a users file, and — with one
 * Redis hash shared by the edge and the core — through the edge (one challenge: the edge's;
 * the core takes the edge's signed X-Strata-Auth) and straight to the core (the core's own
 * challenge, the same credentials).
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freeUdpPorts,
  killAll,
  sipp,
  startCore,
  startEdge,
  tempDir,
  type AppProcess,
  edgeSeesCoresUp,
} from './support/harness.js';
import { TestRedis } from './support/redis.js';

const dir = tempDir('register-auth');
const CORE_SECRET = 'core-nonce-secret-e2e-0123';
const EDGE_SECRET = 'edge-nonce-secret-e2e-0123';
const ASSERTION_SECRET = 'edge-to-core-secret-e2e-0123';
let P: Record<string, number>;
let redis: TestRedis;

beforeAll(async () => {
  const names = ['coreFile', 'coreRedis', 'edge', 'ua1', 'ua2', 'ua3', 'ua4', 'ua5', 'ua6'];
  const ports = await freeUdpPorts(names.length);
  P = Object.fromEntries(names.map((n, i) => [n, ports[i]!]));
  redis = await TestRedis.start();
}, 30_000);

afterAll(async () => {
  await killAll();
  await redis?.kill();
});

/** One REGISTER with digest from `port`: `user` is the AoR, `login`/`password` the credentials. */
function registerWithAuth(
  target: number,
  port: number,
  user: string,
  login: string,
  password: string,
) {
  return sipp(
    'register-auth.xml',
    port,
    ['-s', user, '-au', login, '-ap', password, '-m', '1', `127.0.0.1:${target}`],
    { cwd: dir, timeoutS: 10 },
  ).done;
}

async function contacts(core: AppProcess): Promise<number> {
  return (await core.stats()).registrations.contacts;
}

function core(name: string, port: number, auth: Record<string, unknown>) {
  return startCore(dir, name, port, {
    registrar: {
      natKeepaliveSeconds: 0,
      // sipp answers MD5 only (RFC 8760 SHA-256 is unit-tested in registrar-auth.test.ts)
      auth: { enabled: true, realm: 'strata', secret: CORE_SECRET, algorithms: ['MD5'], ...auth },
    },
    mediaGroups: { media: { targets: [{ uri: 'sip:127.0.0.1:9' }], probe: { enabled: false } } },
  });
}

describe('registrar digest authentication (sipp → core, users file)', () => {
  it('binds with the right password; refuses no credentials, a wrong password and another user’s AoR', async () => {
    const users = join(dir, 'users.yaml');
    writeFileSync(
      users,
      'users:\n  alice: { password: wonderland }\n  bob: { password: builder }\n',
    );
    const c = await core('core-file', P['coreFile']!, { usersFile: users });

    const ok = await registerWithAuth(P['coreFile']!, P['ua1']!, 'alice', 'alice', 'wonderland');
    expect(ok.code, ok.errors).toBe(0);
    expect(await contacts(c)).toBe(1);

    // no credentials: register.xml expects 200 and gets the 401
    const anonymous = await sipp(
      'register.xml',
      P['ua2']!,
      ['-s', 'bob', '-key', 'expires', '300', '-m', '1', `127.0.0.1:${P['coreFile']}`],
      { cwd: dir, timeoutS: 10 },
    ).done;
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.errors).toMatch(/401/);

    const wrong = await registerWithAuth(P['coreFile']!, P['ua3']!, 'bob', 'bob', 'not-it');
    expect(wrong.code).not.toBe(0);
    expect(wrong.errors).toMatch(/401/); // a new challenge, not a 200

    // bob's correct credentials for alice's AoR: 403 (§10.3 step 4)
    const foreign = await registerWithAuth(P['coreFile']!, P['ua4']!, 'alice', 'bob', 'builder');
    expect(foreign.code).not.toBe(0);
    expect(foreign.errors).toMatch(/403/);

    expect(await contacts(c)).toBe(1); // only alice's own registration
  });
});

describe('registrar digest authentication (one Redis hash for edge and core)', () => {
  it('through the edge: one challenge (the edge’s), the core takes its assertion; straight to the core: the core’s own challenge', async () => {
    const r = new Redis({ host: '127.0.0.1', port: redis.port });
    await r.hset('strata:user:carol', { password: 'c4rol-pw' });
    // dave's password is not in Redis, only H(A1) per algorithm, realm "strata"
    await r.hset('strata:user:dave', {
      ha1_md5: createHash('md5').update('dave:strata:d4ve-pw').digest('hex'),
      ha1_sha256: createHash('sha256').update('dave:strata:d4ve-pw').digest('hex'),
    });
    r.disconnect();
    const shared = { host: '127.0.0.1', port: redis.port, keyPrefix: 'strata' };
    const c = await core('core-redis', P['coreRedis']!, {
      redis: shared,
      edgeAssertion: { secret: ASSERTION_SECRET },
    });
    const edge = await startEdge(dir, P['edge']!, [{ id: 'core-redis', port: P['coreRedis']! }], {
      // auth applies to untrusted sources only: nothing on loopback is trusted here
      protection: { trusted: [] },
      auth: {
        enabled: true,
        realm: 'strata',
        secret: EDGE_SECRET,
        algorithms: ['MD5'],
        methods: ['REGISTER'],
        redis: shared,
        edgeAssertion: { secret: ASSERTION_SECRET },
      },
    });
    await edgeSeesCoresUp(edge, 1);

    // register-auth.xml accepts exactly one 401: a second challenge by the core would fail it
    const viaEdge = await registerWithAuth(P['edge']!, P['ua5']!, 'carol', 'carol', 'c4rol-pw');
    expect(viaEdge.code, viaEdge.errors).toBe(0);
    expect(await contacts(c)).toBe(1);

    const direct = await registerWithAuth(P['coreRedis']!, P['ua6']!, 'dave', 'dave', 'd4ve-pw');
    expect(direct.code, direct.errors).toBe(0);
    expect(await contacts(c)).toBe(2);
    expect((await c.stats()).registrations.aors).toBe(2);

    // the edge refuses a wrong password before the core sees anything
    const wrong = await registerWithAuth(P['edge']!, P['ua5']!, 'carol', 'carol', 'guess');
    expect(wrong.code).not.toBe(0);
    expect(await contacts(c)).toBe(2);
  });
});
