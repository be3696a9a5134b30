/**
 * Bans shared by every edge node through Redis (#12): a ban is a key
 * `<prefix>:ban:<address>` (JSON, expiring with the ban) plus a message on
 * `<prefix>:bans`; every node subscribes and applies what others decide, and
 * loads the live bans when it starts. Failure counting stays per node (an
 * attacker spreading guesses over N nodes gets at most N × maxFailures).
 */
import { keepSubscribed } from '@strata/redis';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { BanEvent, BanList } from './ban-list.js';

export class RedisBanSync {
  private readonly channel: string;

  constructor(
    private readonly redis: Redis,
    private readonly sub: Redis,
    private readonly prefix: string,
    private readonly bans: BanList,
    private readonly logger: Logger,
  ) {
    this.channel = `${prefix}:bans`;
  }

  async start(): Promise<void> {
    this.bans.onChange((e, local) => {
      if (local) void this.publish(e);
    });
    this.sub.on('message', (channel: string, text: string) => {
      if (channel !== this.channel) return;
      try {
        this.bans.apply(JSON.parse(text) as BanEvent);
      } catch (err) {
        this.logger.debug({ err }, 'bad ban message');
      }
    });
    // subscribed again after every reconnect (ioredis's own auto-resubscribe is off: see
    // keepSubscribed), then the bans published meanwhile are re-read
    const subscribed = await keepSubscribed(
      this.sub,
      this.channel,
      (err) => this.logger.warn({ err }, 'shared bans: subscribe or reload failed'),
      () => this.load(),
    );
    try {
      if (subscribed) await this.load();
    } catch (err) {
      this.logger.warn({ err }, 'shared bans: redis unavailable, bans stay local until it returns');
    }
  }

  private async load(): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(
        cursor,
        'MATCH',
        `${this.prefix}:ban:*`,
        'COUNT',
        500,
      );
      cursor = next;
      for (const key of keys) {
        const text = await this.redis.get(key);
        if (text === null) continue;
        try {
          this.bans.apply(JSON.parse(text) as BanEvent);
        } catch {
          /* a foreign key shape: ignored */
        }
      }
    } while (cursor !== '0');
  }

  private async publish(e: BanEvent): Promise<void> {
    try {
      if (e.t === 'ban') {
        const ms = Math.max(1, e.entry.until - Date.now());
        await this.redis.set(`${this.prefix}:ban:${e.entry.address}`, JSON.stringify(e), 'PX', ms);
      } else {
        await this.redis.del(`${this.prefix}:ban:${e.address}`);
      }
      await this.redis.publish(this.channel, JSON.stringify(e));
    } catch (err) {
      this.logger.debug({ err }, 'shared bans: publish failed');
    }
  }
}
