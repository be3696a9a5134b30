import { once } from 'node:events';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisClient, type RedisClient } from '@strata/redis';
import { keepSubscribed } from '@strata/redis';
import { RedisTestServer } from './support/redis-server.js';

/**
 * Subscriber clients across Redis restarts (real redis-server, killed by the test). The
 * race: a SUBSCRIBE sent on reconnect whose connection closes before the reply.
 */
describe('keepSubscribed', () => {
  let server: RedisTestServer;
  const clients: RedisClient[] = [];
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown): void => {
    rejections.push(reason);
  };

  beforeAll(async () => {
    server = await RedisTestServer.start();
    process.on('unhandledRejection', onRejection);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.disconnect();
    rejections.length = 0;
  });
  afterAll(async () => {
    process.off('unhandledRejection', onRejection);
    await server.stop();
  });

  const subscriber = (): RedisClient => {
    const c = createRedisClient(
      { mode: 'standalone', host: server.host, port: server.port, maxReconnectDelayMs: 50 },
      { subscriber: true },
    );
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };

  /** Lets pending promise rejections surface as 'unhandledRejection' events. */
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  };

  it('receives messages again after Redis restarts', async () => {
    const sub = subscriber();
    const errors: unknown[] = [];
    expect(await keepSubscribed(sub, 'chan', (e) => errors.push(e))).toBe(true);

    const reconnected = once(sub, 'ready');
    await server.restart();
    await reconnected;
    const pub = new Redis({ host: server.host, port: server.port });
    clients.push(pub);
    const got = once(sub, 'message');
    // PUBLISH until the re-sent SUBSCRIBE has landed (bounded: 200 × 10 ms)
    let delivered = 0;
    for (let i = 0; i < 200 && delivered === 0; i++) {
      delivered = await pub.publish('chan', 'hello');
      if (delivered === 0) await new Promise((r) => setTimeout(r, 10));
    }
    expect(delivered).toBe(1);
    expect((await got)[1]).toBe('hello');
    expect(errors).toEqual([]);
  });

  /**
   * Drops `sub`'s connection and holds Redis (CLIENT PAUSE) while it reconnects, so the
   * SUBSCRIBE sent on reconnect waits for its reply; closes `sub` at that moment.
   */
  const closeDuringResubscribe = async (sub: Redis): Promise<void> => {
    const admin = new Redis({ host: server.host, port: server.port });
    clients.push(admin);
    const reconnected = once(sub, 'ready');
    // one transaction, so `sub` cannot reconnect between the kill and the pause
    await admin.multi().client('KILL', 'TYPE', 'pubsub').client('PAUSE', 1_000, 'ALL').exec();
    await reconnected; // without a ready check: its SUBSCRIBE is on the wire, unanswered
    sub.disconnect();
    await once(sub, 'end');
    await settle();
    await admin.client('UNPAUSE');
  };
  const options = (autoResubscribe: boolean) => ({
    host: server.host,
    port: server.port,
    autoResubscribe,
    enableReadyCheck: false, // INFO would wait for the pause too
    retryStrategy: () => 20,
  });

  it('a connection closed while re-subscribing rejects nothing unhandled', async () => {
    const sub = new Redis(options(false));
    sub.on('error', () => undefined);
    clients.push(sub);
    const errors: unknown[] = [];
    expect(await keepSubscribed(sub, 'chan', (e) => errors.push(e))).toBe(true);
    await closeDuringResubscribe(sub);
    expect(rejections).toEqual([]);
    expect(errors.map((e) => (e as Error).message)).toEqual(['Connection is closed.']);
  });

  it('(the same race with ioredis auto-resubscribe is an unhandled rejection)', async () => {
    const sub = new Redis(options(true));
    sub.on('error', () => undefined);
    clients.push(sub);
    await sub.subscribe('chan');
    await closeDuringResubscribe(sub);
    expect(rejections.map((e) => (e as Error).message)).toEqual(['Connection is closed.']);
  });
});
