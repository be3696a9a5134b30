/**
 * Least-cost routing configuration (issue #13): carriers (trunks), rate tables and the
 * E.164 normalisation of dialled numbers. Its own file so config.ts only names it.
 */
import { z } from 'zod';

const sipUri = z.string().regex(/^sips?:\S+$/, 'a SIP URI, e.g. sip:10.0.0.5:5060');

export const carrierSchema = z.object({
  /** the carrier's gateways (host:port, ;transport=), tried in this order */
  uris: z.array(sipUri).min(1),
  /** among carriers of equal cost, a weighted shuffle decides who goes first */
  weight: z.number().int().min(1).default(1),
  /** concurrent calls (attempts in progress + answered calls); 0 = no limit */
  maxConcurrent: z.number().int().min(0).default(0),
  /** new call attempts per second; 0 = no limit */
  maxCps: z.number().min(0).default(0),
  /** OPTIONS probes to every gateway (down gateways get no calls) */
  probe: z
    .object({
      enabled: z.boolean().default(false),
      intervalMs: z.number().int().min(50).default(5000),
      timeoutMs: z.number().int().min(20).default(2000),
      downAfter: z.number().int().min(1).default(2),
      upAfter: z.number().int().min(1).default(2),
    })
    .default({}),
  /** digest credentials answering the carrier's 401/407 (RFC 3261 §22.2) */
  auth: z
    .object({
      username: z.string().min(1),
      password: z.string(),
      /** only answer challenges of this realm (omitted: any) */
      realm: z.string().optional(),
    })
    .optional(),
  /** prepended to the normalised number in the Request-URI user part, e.g. "+" */
  dialPrefix: z.string().default(''),
  /** Timer C per attempt (no final answer within this → next carrier); omitted: the proxy's */
  attemptTimeoutSeconds: z.number().int().min(1).optional(),
});

export const rateTableSchema = z.object({
  /** CSV file: prefix,carrier,cost per line (several lines per prefix) */
  csv: z.string().optional(),
  /** Redis hash: field = prefix, value = "carrier:cost,carrier:cost" (store.redis) */
  redisKey: z.string().optional(),
});

export const normaliseSchema = z
  .object({
    /** regular-expression rewrites applied first, in order (every matching rule applies) */
    rules: z.array(z.object({ match: z.string(), replace: z.string() })).default([]),
    /** "00 44 20…" → "44 20…" */
    internationalPrefix: z.string().default('00'),
    /** "0 20…" → countryCode + "20…" (empty: no national numbers) */
    nationalPrefix: z.string().default('0'),
    countryCode: z.string().regex(/^\d*$/).default(''),
  })
  .default({});

export const lcrSchema = z
  .object({
    carriers: z.record(carrierSchema).default({}),
    tables: z.record(rateTableSchema).default({}),
    normalise: normaliseSchema,
    /** re-read a table's CSV when the file changes */
    watch: z.boolean().default(true),
    /** statuses that move the call to the next carrier (plus timeouts, over-limit, down) */
    failoverOn: z
      .array(z.number().int().min(300).max(599))
      .default([408, 500, 501, 502, 503, 504, 505, 513, 580]),
  })
  .default({});

export type CarrierConfig = z.infer<typeof carrierSchema>;
export type RateTableConfig = z.infer<typeof rateTableSchema>;
export type NormaliseConfig = z.infer<typeof normaliseSchema>;
export type LcrConfig = z.infer<typeof lcrSchema>;
