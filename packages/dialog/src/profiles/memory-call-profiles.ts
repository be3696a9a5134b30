import { DEFAULT_PROFILE_ENTRY_TTL_MS, type CallProfiles } from './call-profiles.js';

export interface MemoryCallProfilesOptions {
  readonly now?: () => number;
  readonly entryTtlMs?: number;
}

/** Embedded (single node) call profiles; expiry is lazy, driven by the injected clock. */
export class MemoryCallProfiles implements CallProfiles {
  private readonly profiles = new Map<string, Map<string, number>>();
  private readonly now: () => number;
  private readonly entryTtlMs: number;

  constructor(options: MemoryCallProfilesOptions = {}) {
    this.now = options.now ?? Date.now;
    this.entryTtlMs = options.entryTtlMs ?? DEFAULT_PROFILE_ENTRY_TTL_MS;
  }

  tryAcquire(key: string, dialogId: string, limit: number, ttlMs?: number): Promise<boolean> {
    return Promise.resolve(this.tryAcquireSync(key, dialogId, limit, ttlMs));
  }

  tryAcquireSync(key: string, dialogId: string, limit: number, ttlMs?: number): boolean {
    const members = this.live(key);
    if (!members.has(dialogId) && members.size >= limit) return false;
    members.set(dialogId, this.now() + (ttlMs ?? this.entryTtlMs));
    return true;
  }

  refresh(key: string, dialogId: string, ttlMs?: number): Promise<boolean> {
    const members = this.live(key);
    if (!members.has(dialogId)) return Promise.resolve(false);
    members.set(dialogId, this.now() + (ttlMs ?? this.entryTtlMs));
    return Promise.resolve(true);
  }

  release(key: string, dialogId: string): Promise<void> {
    const members = this.profiles.get(key);
    if (members !== undefined) {
      members.delete(dialogId);
      if (members.size === 0) this.profiles.delete(key);
    }
    return Promise.resolve();
  }

  count(key: string): Promise<number> {
    return Promise.resolve(this.live(key).size);
  }

  members(key: string): Promise<string[]> {
    return Promise.resolve([...this.live(key).keys()]);
  }

  async reconcile(key: string, liveDialogIds: Iterable<string>): Promise<number> {
    const live = new Set(liveDialogIds);
    let dropped = 0;
    for (const id of await this.members(key)) {
      if (!live.has(id)) {
        await this.release(key, id);
        dropped++;
      }
    }
    return dropped;
  }

  /** The member map with expired entries removed (created on demand). */
  private live(key: string): Map<string, number> {
    let members = this.profiles.get(key);
    if (members === undefined) {
      members = new Map();
      this.profiles.set(key, members);
      return members;
    }
    const now = this.now();
    for (const [id, until] of members) if (until <= now) members.delete(id);
    return members;
  }
}
