/**
 * The location service (RFC 3261 §10.3): AoR → bindings. One field per
 * contact, so two cores updating different contacts of one AoR never
 * overwrite each other; expired bindings are invisible and swept.
 */
import type { Binding } from './binding.js';

export interface LocationStore {
  /** live bindings of an AoR */
  get(aor: string): Promise<Binding[]>;
  /** add or replace one contact's binding */
  upsert(binding: Binding): Promise<void>;
  remove(aor: string, contact: string): Promise<void>;
  removeAll(aor: string): Promise<void>;
  /** AoRs with at least one live binding (admin view; not for the hot path) */
  listAors(): Promise<string[]>;
  close(): Promise<void>;
}
