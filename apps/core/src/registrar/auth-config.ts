/**
 * `registrar.auth`: digest authentication of REGISTER (RFC 3261 §10.3 step 3, §22). Off by
 * default (the embedded demo registers without credentials). The credential keys —
 * `realm`, `usersFile`, `redis` — mean what they mean in the edge's `auth` block, so both
 * read one users file or one Redis hash.
 */
import { digestAuthSchema } from '@strata/config';
import { z } from 'zod';

export const registrarAuthSchema = digestAuthSchema
  .extend({
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
