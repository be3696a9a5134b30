/**
 * Configuration loading shared by the apps: an optional YAML file plus
 * STRATA_* environment overrides, validated by the app's zod schema. A bad
 * config throws ConfigError naming each bad field and the expected form.
 *
 * Env overrides: STRATA_<PATH>, nested keys joined by "__", each key in
 * SCREAMING_SNAKE_CASE (turned into camelCase); values are parsed as JSON
 * when they parse, else taken as strings. E.g. STRATA_HEALTH__INTERVAL_MS=500,
 * STRATA_CORES='[{"id":"c1","uri":"sip:127.0.0.1:5070"}]'.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n  ${issues.join('\n  ')}`);
  }
}

export interface LoadOptions {
  /** YAML file; defaults to $STRATA_CONFIG */
  file?: string;
  env?: NodeJS.ProcessEnv;
}

export function loadConfig<S extends z.ZodTypeAny>(
  schema: S,
  options: LoadOptions = {},
): z.infer<S> {
  const env = options.env ?? process.env;
  const file = options.file ?? env['STRATA_CONFIG'];
  let raw: unknown = {};
  if (file !== undefined && file !== '') {
    try {
      raw = parseYaml(readFileSync(file, 'utf8')) ?? {};
    } catch (err) {
      throw new ConfigError([`${file}: ${(err as Error).message}`]);
    }
  }
  const result = schema.safeParse(applyEnvOverrides(raw, env));
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i: z.ZodIssue) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  return result.data as z.infer<S>;
}

const IGNORED_ENV = new Set(['STRATA_CONFIG']);

export function applyEnvOverrides(raw: unknown, env: NodeJS.ProcessEnv): unknown {
  const out: Record<string, unknown> =
    typeof raw === 'object' && raw !== null ? structuredClone(raw as Record<string, unknown>) : {};
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith('STRATA_') || IGNORED_ENV.has(key) || value === undefined) continue;
    const path = key
      .slice('STRATA_'.length)
      .split('__')
      .map((seg) => seg.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()));
    let node: Record<string, unknown> = out;
    for (const seg of path.slice(0, -1)) {
      const next = node[seg];
      node =
        typeof next === 'object' && next !== null
          ? (next as Record<string, unknown>)
          : (node[seg] = {} as Record<string, unknown>);
    }
    node[path[path.length - 1]!] = parseEnvValue(value);
  }
  return out;
}

function parseEnvValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
