import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAuth } from '@strata/parser';
import { digestResponse, RedisCredentials, StatelessDigest } from '../src/index.js';
import { createHash } from 'node:crypto';

let server: ChildProcess;
let redis: Redis;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  const port = await freePort();
  server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  // wait for the server to say it is ready (bounded by the hook timeout)
  await new Promise<void>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    server.once('exit', (code) => reject(new Error(`redis-server exited ${code}`)));
  });
  redis = new Redis({ port, host: '127.0.0.1' });
  await redis.hset('strata:user:alice', { password: 'wonderland' });
  const ha1 = createHash('md5').update('bob:strata:builder').digest('hex');
  await redis.hset('strata:user:bob', { ha1_md5: ha1 });
});

afterAll(() => {
  redis?.disconnect();
  server?.kill('SIGKILL');
});

describe('RedisCredentials (real redis-server)', () => {
  it('verifies clear-text and HA1 users, refuses unknown ones', async () => {
    const digest = new StatelessDigest(
      {
        realm: 'strata',
        secret: 'a-shared-secret-of-16+',
        algorithms: ['SHA-256', 'MD5'],
        nonceTtlSeconds: 300,
      },
      new RedisCredentials(redis),
    );
    const nonce = /nonce="([^"]+)"/.exec(digest.challenges('127.0.0.1')[0]!)![1]!;
    const answer = (username: string, password: string, algorithm: 'MD5' | 'SHA-256') =>
      parseAuth(
        digestResponse({
          algorithm,
          username,
          realm: 'strata',
          password,
          method: 'REGISTER',
          uri: 'sip:strata',
          nonce,
          cnonce: 'c',
          nc: '00000001',
        }),
      );
    expect(
      await digest.verify('REGISTER', answer('alice', 'wonderland', 'SHA-256'), '127.0.0.1'),
    ).toEqual({
      ok: true,
      username: 'alice',
    });
    expect(await digest.verify('REGISTER', answer('bob', 'builder', 'MD5'), '127.0.0.1')).toEqual({
      ok: true,
      username: 'bob',
    });
    expect(await digest.verify('REGISTER', answer('carol', 'x', 'MD5'), '127.0.0.1')).toMatchObject(
      {
        ok: false,
        reason: 'unknown-user',
      },
    );
    expect(
      await digest.verify('REGISTER', answer('alice', 'wrong', 'MD5'), '127.0.0.1'),
    ).toMatchObject({
      ok: false,
      reason: 'bad-response',
    });
  });
});
