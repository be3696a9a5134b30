/**
 * Feature-code matching over a digit buffer (issue #14), pure. A code is a digit string
 * (`*3`); a `collect` code takes digits after it up to the terminator (`*2` + `1002` + `#`).
 * `match` returns what the buffer means now: a complete code (run it), a prefix of one
 * (keep collecting until the inter-digit timeout), or nothing (start over).
 */
import { z } from 'zod';

export const featureActionSchema = z.enum(['transfer', 'record', 'stop-record', 'park', 'hangup']);
export type FeatureAction = z.infer<typeof featureActionSchema>;

export const featureCodeSchema = z.object({
  code: z.string().regex(/^[0-9*#A-D]{1,8}$/, 'DTMF digits 0-9 * # A-D'),
  action: featureActionSchema,
  /** digits follow the code up to `terminator` (e.g. the transfer target number) */
  collect: z.boolean().default(false),
  terminator: z
    .string()
    .regex(/^[*#]$/)
    .default('#'),
});
export type FeatureCode = z.infer<typeof featureCodeSchema>;

export type FeatureMatch =
  | { readonly kind: 'none' }
  | { readonly kind: 'partial' }
  | { readonly kind: 'match'; readonly code: FeatureCode; readonly arg: string | null };

const NONE: FeatureMatch = { kind: 'none' };
const PARTIAL: FeatureMatch = { kind: 'partial' };
const MAX_COLLECT = 32;

export function matchFeature(codes: readonly FeatureCode[], buffer: string): FeatureMatch {
  let partial = false;
  for (const c of codes) {
    if (c.collect) {
      if (buffer.startsWith(c.code)) {
        const rest = buffer.slice(c.code.length);
        const end = rest.indexOf(c.terminator);
        if (end >= 0) {
          const arg = rest.slice(0, end);
          if (arg !== '' && /^[0-9A-D]+$/.test(arg)) return { kind: 'match', code: c, arg };
          continue; // `*2#`, or a stray * in the number: not a valid use of this code
        }
        if (rest.length <= MAX_COLLECT && /^[0-9A-D]*$/.test(rest)) partial = true;
      } else if (c.code.startsWith(buffer)) partial = true;
      continue;
    }
    if (buffer === c.code) return { kind: 'match', code: c, arg: null };
    if (c.code.startsWith(buffer)) partial = true;
  }
  return partial ? PARTIAL : NONE;
}

/**
 * The buffer after a digit that matched nothing: the longest suffix that still starts a
 * code (so `1*3` still finds `*3`), else empty.
 */
export function restartBuffer(codes: readonly FeatureCode[], buffer: string): string {
  for (let i = 1; i < buffer.length; i++) {
    const tail = buffer.slice(i);
    if (matchFeature(codes, tail).kind !== 'none') return tail;
  }
  return '';
}
