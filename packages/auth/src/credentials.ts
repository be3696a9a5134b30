/**
 * Where digest credentials come from (RFC 3261 §22.4: the server needs the
 * password, or H(A1), per user and realm). The edge and the core read the same
 * sources, so one users file or one Redis hash serves both.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export type DigestAlgorithm = 'SHA-256' | 'MD5';

export interface Credentials {
  /** clear-text password, or precomputed HA1 per algorithm */
  password?: string;
  ha1?: Partial<Record<DigestAlgorithm, string>>;
}

export interface CredentialSource {
  lookup(username: string, realm: string): Promise<Credentials | undefined>;
}

/** Credentials from a static map (users file). */
export class StaticCredentials implements CredentialSource {
  constructor(private readonly users: ReadonlyMap<string, Credentials>) {}

  lookup(username: string): Promise<Credentials | undefined> {
    return Promise.resolve(this.users.get(username));
  }
}

/**
 * A users file, YAML or JSON: `{ users: { alice: { password: "…" }, bob: { ha1: { MD5: "…" } } } }`.
 * Entries without a usable password or HA1 are refused here, at start, rather than
 * failing every REGISTER later.
 */
export function loadUsersFile(path: string): Map<string, Credentials> {
  const doc = parseYaml(readFileSync(path, 'utf8')) as { users?: unknown } | null;
  const users = new Map<string, Credentials>();
  const entries = doc?.users ?? {};
  if (typeof entries !== 'object' || entries === null)
    throw new Error(`${path}: "users" must be a map of name → { password | ha1 }`);
  for (const [name, raw] of Object.entries(entries as Record<string, unknown>)) {
    const creds = credentialsOf(raw);
    if (creds === null)
      throw new Error(`${path}: user ${name} needs a password or ha1: { SHA-256 | MD5 }`);
    users.set(name, creds);
  }
  return users;
}

function credentialsOf(raw: unknown): Credentials | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const { password, ha1 } = raw as { password?: unknown; ha1?: unknown };
  const out: Credentials = {};
  if (typeof password === 'string') out.password = password;
  if (typeof ha1 === 'object' && ha1 !== null) {
    const h = ha1 as Record<string, unknown>;
    const md5 = h['MD5'];
    const sha = h['SHA-256'];
    out.ha1 = {
      ...(typeof md5 === 'string' ? { MD5: md5.toLowerCase() } : {}),
      ...(typeof sha === 'string' ? { 'SHA-256': sha.toLowerCase() } : {}),
    };
  }
  return out.password !== undefined || Object.keys(out.ha1 ?? {}).length > 0 ? out : null;
}
