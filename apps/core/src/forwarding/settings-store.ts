/**
 * Per-user forwarding settings by AoR: in memory, or in one Redis hash (field = AoR,
 * value = the settings as JSON) shared by every core. Values read from Redis are checked
 * against the schema; a bad one counts as no settings.
 */
import type { Logger } from 'pino';
import type { HashClient } from '../dialogs/stores.js';
import { forwardingSettingsSchema, type ForwardingSettings } from './forwarding-config.js';

export interface ForwardingStore {
  get(aor: string): Promise<ForwardingSettings | null>;
  set(aor: string, settings: ForwardingSettings): Promise<void>;
  delete(aor: string): Promise<boolean>;
  list(): Promise<Record<string, ForwardingSettings>>;
}

export class MemoryForwardingStore implements ForwardingStore {
  private readonly users = new Map<string, ForwardingSettings>();

  get(aor: string): Promise<ForwardingSettings | null> {
    return Promise.resolve(this.users.get(aor) ?? null);
  }

  set(aor: string, settings: ForwardingSettings): Promise<void> {
    this.users.set(aor, settings);
    return Promise.resolve();
  }

  delete(aor: string): Promise<boolean> {
    return Promise.resolve(this.users.delete(aor));
  }

  list(): Promise<Record<string, ForwardingSettings>> {
    return Promise.resolve(Object.fromEntries(this.users));
  }
}

export class RedisForwardingStore implements ForwardingStore {
  private readonly key: string;

  constructor(
    private readonly redis: HashClient,
    keyPrefix: string,
  ) {
    this.key = `${keyPrefix}:forwarding`;
  }

  async get(aor: string): Promise<ForwardingSettings | null> {
    return parse(await this.redis.hget(this.key, aor));
  }

  async set(aor: string, settings: ForwardingSettings): Promise<void> {
    await this.redis.hset(this.key, aor, JSON.stringify(settings));
  }

  async delete(aor: string): Promise<boolean> {
    return (await this.redis.hdel(this.key, aor)) > 0;
  }

  async list(): Promise<Record<string, ForwardingSettings>> {
    const all = await this.redis.hgetall(this.key);
    const out: Record<string, ForwardingSettings> = {};
    for (const [aor, v] of Object.entries(all)) {
      const s = parse(v);
      if (s !== null) out[aor] = s;
    }
    return out;
  }
}

function parse(v: string | null): ForwardingSettings | null {
  if (v === null) return null;
  try {
    const r = forwardingSettingsSchema.safeParse(JSON.parse(v));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/**
 * Write the settings from the config file into the store; the store may not be reachable
 * yet at start (Redis connecting), so each failure is retried every `retryMs`, `attempts`
 * times at most.
 */
export async function seedForwarding(
  store: ForwardingStore,
  users: Readonly<Record<string, ForwardingSettings>>,
  logger: Logger,
  retryMs = 1000,
  attempts = 60,
): Promise<void> {
  for (const [aor, settings] of Object.entries(users)) {
    for (let i = 1; ; i++) {
      try {
        await store.set(aor, settings);
        break;
      } catch (err) {
        if (i >= attempts) {
          logger.error({ err, aor }, 'forwarding settings not stored');
          break;
        }
        await new Promise((r) => setTimeout(r, retryMs).unref());
      }
    }
  }
}
