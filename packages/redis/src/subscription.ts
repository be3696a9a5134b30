import type { RedisClient } from './client.js';

/**
 * Subscribes `client` to `channel` now and again after every reconnect.
 *
 * ioredis's own auto-resubscribe sends SUBSCRIBE from its 'ready' handler without handling
 * the reply's promise: when the connection drops again before the reply (a flapping Redis,
 * or a shutdown right after a reconnect) that promise rejects unhandled, and an unhandled
 * rejection ends a Node 20 process. Subscriber clients are therefore created with
 * `autoResubscribe: false` (see createRedisClient) and re-subscribe here, errors caught.
 *
 * `resubscribed` runs after each later SUBSCRIBE is acknowledged: what was published while
 * the client was off the channel is lost, so a subscriber with state to catch up re-reads it
 * there (the edge's shared bans). Its errors go to `onError` too.
 *
 * Resolves true once the first SUBSCRIBE is acknowledged, false if it failed.
 */
export function keepSubscribed(
  client: RedisClient,
  channel: string,
  onError: (err: unknown) => void,
  resubscribed?: () => Promise<void>,
): Promise<boolean> {
  let connectedBefore = client.status === 'ready';
  client.on('ready', () => {
    // The first connection sends the SUBSCRIBE queued below; only later ones need a new one.
    if (connectedBefore)
      client
        .subscribe(channel)
        .then(() => resubscribed?.())
        .catch(onError);
    connectedBefore = true;
  });
  return client.subscribe(channel).then(
    () => true,
    (err: unknown) => {
      onError(err);
      return false;
    },
  );
}
