/**
 * `registrar.auth`: digest authentication of REGISTER (RFC 3261 §10.3 step 3, §22). Off by
 * default (the embedded demo registers without credentials). The credential keys —
 * `realm`, `usersFile`, `redis` — mean what they mean in the edge's `auth` block, so both
 * read one users file or one Redis hash.
 */
import { z } from 'zod';

export const registrarAuthSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** the same realm as the edge's when HA1 values are shared (HA1 includes the realm) */
    realm: z.string().default('strata'),
    /** HMAC key of the nonce, ≥ 16 characters, the same on every core */
    secret: z.string().min(16).optional(),
    algorithms: z
      .array(z.enum(['SHA-256', 'MD5']))
      .min(1)
      .default(['SHA-256', 'MD5']),
    nonceTtlSeconds: z.number().int().positive().default(300),
    /** YAML/JSON `{ users: { alice: { password: "…" } } }` (or `ha1: { SHA-256, MD5 }`) */
    usersFile: z.string().optional(),
    /** or the hash `<keyPrefix>:user:<name>` (password | ha1_md5 | ha1_sha256); wins over usersFile */
    redis: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(1).max(65535).default(6379),
        password: z.string().optional(),
        keyPrefix: z.string().default('strata'),
      })
      .optional(),
    /**
     * Take the edge's word: a REGISTER carrying a valid `X-Strata-Auth` signed with this
     * secret (the edges' `auth.edgeAssertion.secret`) is authenticated as the user it names.
     */
    edgeAssertion: z
      .object({
        secret: z.string().min(16),
        maxAgeSeconds: z.number().int().min(1).default(30),
      })
      .optional(),
  })
  .default({})
  .refine((a) => !a.enabled || a.secret !== undefined, {
    message:
      'registrar.auth.secret (≥ 16 characters, the same on every core) is required when enabled',
    path: ['secret'],
  });

export type RegistrarAuthConfig = z.infer<typeof registrarAuthSchema>;
