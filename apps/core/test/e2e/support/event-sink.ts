/**
 * The two places the core's call events (issue #14) land in the tests: a webhook receiver
 * on loopback (`EventSink`) and the Redis Stream (`streamEvents`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RedisClient } from '@strata/redis';
import type { CallEvent } from '../../../src/events/call-event.js';

/**
 * Every event in the core's Redis Stream (`events.redisStream`, default key). Delivery is
 * asynchronous (a queue and a worker per sink), so an event may land after the SIP
 * messages and the CDR it follows: callers wait for the one they need with `until`.
 */
export async function streamEvents(redis: RedisClient): Promise<CallEvent[]> {
  const entries = await redis.xrange('strata:events', '-', '+');
  return entries.map(([, f]) => JSON.parse(f[f.indexOf('event') + 1]!) as CallEvent);
}

/**
 * A webhook receiver (`events.webhook`): appends every batch the core POSTs to `events`.
 * With `up = false` it answers 503 and keeps nothing (a dead webhook, for the retry and
 * never-block tests).
 */

export class EventSink {
  up = true;
  private readonly server: Server;

  private constructor(readonly events: CallEvent[]) {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (d: string) => (body += d));
      req.on('end', () => {
        if (!this.up) {
          res.statusCode = 503;
          res.end();
          return;
        }
        events.push(...(JSON.parse(body) as CallEvent[]));
        res.end();
      });
    });
  }

  static async start(events: CallEvent[] = []): Promise<EventSink> {
    const sink = new EventSink(events);
    await new Promise<void>((r) => sink.server.listen(0, '127.0.0.1', () => r()));
    return sink;
  }

  /** The URL to give the core's `events.webhook.url`. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/events`;
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}
