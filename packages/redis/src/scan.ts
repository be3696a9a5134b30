import { Cluster } from 'ioredis';
import type { Redis } from 'ioredis';
import type { RedisClient } from './client.js';

async function scanOne(node: Redis, pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    out.push(...keys);
  } while (cursor !== '0');
  return out;
}

/** SCAN over every master: in a Cluster each node only knows its own slots. */
export async function scanKeys(client: RedisClient, pattern: string): Promise<string[]> {
  if (client instanceof Cluster) {
    const parts = await Promise.all(client.nodes('master').map((n) => scanOne(n, pattern)));
    return parts.flat();
  }
  return scanOne(client, pattern);
}
