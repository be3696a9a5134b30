/**
 * Bans shared across edge nodes through Redis (#12): two ban lists, each with its own
 * RedisBanSync (own connections, as two edge nodes would have), on one real
 * redis-server spawned on a free port. A ban decided by node A is enforced by node B;
 * a node started later loads the live bans; an unban travels too; a node's trusted
 * peers are never banned there even when another node bans them.
 * Skipped (with the reason) when redis-server is not installed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BanList } from '../src/security/ban-list.js';
import { RedisBanSync } from '../src/security/redis-bans.js';
import { until } from './support/harness.js';

const HAVE_REDIS = spawnSync('redis-server', ['--version']).error === undefined;
if (!HAVE_REDIS) console.warn('redis-bans test skipped: redis-server not installed');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe.skipIf(!HAVE_REDIS)('shared bans through a real redis-server', () => {
  let server: ChildProcess | undefined;
  let port = 0;
  const conns: Redis[] = [];
  const logger = pino({ level: 'silent' });
  const prefix = `strata-test-${process.pid}`;

  beforeAll(async () => {
    port = await freePort();
    const srv = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    server = srv;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      srv.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) resolve();
      });
      srv.once('exit', (code) => reject(new Error(`redis-server exited ${code}`)));
    });
  });

  afterAll(() => {
    for (const c of conns) c.disconnect();
    server?.kill('SIGKILL');
  });

  /** one edge node: its ban list and its Redis sync (two connections: commands + subscriber) */
  const node = async (trusted: string[] = []) => {
    const bans = new BanList({
      maxFailures: 3,
      windowMs: 60_000,
      banMs: 600_000,
      userMaxFailures: 100,
      isExempt: (a) => trusted.includes(a),
    });
    const main = new Redis({ host: '127.0.0.1', port, lazyConnect: false });
    // as shared.ts builds it: RedisBanSync re-subscribes after a reconnect itself
    const sub = new Redis({ host: '127.0.0.1', port, lazyConnect: false, autoResubscribe: false });
    conns.push(main, sub);
    await new RedisBanSync(main, sub, prefix, bans, logger).start();
    return bans;
  };

  it('a ban made by node A is enforced by node B; a later node C loads it; an unban travels', async () => {
    const a = await node();
    const b = await node();
    expect(b.isBanned('192.0.2.7')).toBe(false);
    for (let i = 0; i < 3; i++) a.recordFailure('192.0.2.7', '1001');
    expect(a.isBanned('192.0.2.7')).toBe(true);
    await until(
      'node B enforces the ban',
      () => (b.isBanned('192.0.2.7') ? true : undefined),
      3_000,
    );
    expect(b.list().map((e) => [e.address, e.reason])).toEqual([['192.0.2.7', 'auth-failures']]);
    // B did not count anything itself: the ban came from A
    expect(b.failuresOf('192.0.2.7')).toBe(0);

    const c = await node();
    expect(c.isBanned('192.0.2.7')).toBe(true); // loaded at start from the ban key

    expect(b.unban('192.0.2.7')).toBe(true);
    await until(
      'node A and C lift the ban',
      () => (!a.isBanned('192.0.2.7') && !c.isBanned('192.0.2.7') ? true : undefined),
      3_000,
    );
    const d = await node();
    expect(d.isBanned('192.0.2.7')).toBe(false); // the key went with the unban
  });

  it("a peer's ban of an address this node trusts is not applied here", async () => {
    const a = await node();
    const b = await node(['198.51.100.9']);
    a.ban('198.51.100.9', 60_000, 'scanner');
    a.ban('198.51.100.10', 60_000, 'scanner');
    await until(
      'node B gets the second ban',
      () => (b.isBanned('198.51.100.10') ? true : undefined),
      3_000,
    );
    expect(b.isBanned('198.51.100.9')).toBe(false);
  });

  it('after its subscriber connection drops, a node re-subscribes and reloads missed bans', async () => {
    const a = await node();
    const b = await node();
    const admin = new Redis({ host: '127.0.0.1', port });
    conns.push(admin);
    // drop every subscriber connection and ban while B is off the channel
    await admin.multi().client('KILL', 'TYPE', 'pubsub').exec();
    a.ban('203.0.113.5', 60_000, 'scanner');
    await until(
      'node B has the ban missed while reconnecting',
      () => (b.isBanned('203.0.113.5') ? true : undefined),
      5_000,
    );
    a.ban('203.0.113.6', 60_000, 'scanner');
    await until(
      'node B receives bans again',
      () => (b.isBanned('203.0.113.6') ? true : undefined),
      3_000,
    );
  });
});
