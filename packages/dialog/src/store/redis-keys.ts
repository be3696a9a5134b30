/**
 * Key layout. All keys of one dialog carry the same hash tag `{<id>}` so they live in one
 * Cluster slot and a Lua script may touch them together. Call-IDs and tags may contain
 * '{' and '}' (RFC 3261 §25.1 `word`), which would move the hash tag, so they are escaped.
 */
export function escapeTag(s: string): string {
  return s.replace(/[%{}]/g, (c) => (c === '%' ? '%25' : c === '{' ? '%7B' : '%7D'));
}

export function unescapeTag(s: string): string {
  return s.replace(/%(25|7B|7D)/g, (_m, h: string) => (h === '25' ? '%' : h === '7B' ? '{' : '}'));
}

export class RedisKeys {
  constructor(readonly prefix: string) {}

  dialog(id: string): string {
    return `${this.prefix}dlg:{${escapeTag(id)}}`;
  }

  lease(id: string): string {
    return `${this.prefix}dlg:{${escapeTag(id)}}:lease`;
  }

  /** The Call-ID index lives in its own slot; it is a hint, verified on read. */
  callIdIndex(callId: string): string {
    return `${this.prefix}cid:{${escapeTag(callId)}}`;
  }

  once(name: string): string {
    return `${this.prefix}once:{${escapeTag(name)}}`;
  }

  /** SCAN pattern for dialog hashes (not their `:lease` keys). */
  dialogPattern(): string {
    return `${this.prefix}dlg:{*}`;
  }

  idFromDialogKey(key: string): string {
    return unescapeTag(key.slice(this.prefix.length + 5, -1));
  }

  changes(): string {
    return `${this.prefix}dlg:changes`;
  }

  profile(key: string): string {
    return `${this.prefix}prof:{${escapeTag(key)}}`;
  }
}
