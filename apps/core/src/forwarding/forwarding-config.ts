/**
 * Call forwarding configuration (issue #13): how diversions are signalled, the loop
 * limit, where external numbers go, and per-user settings seeded from the file (the admin
 * API edits them at run time; with `store: redis` they live in Redis).
 */
import { z } from 'zod';

/** A forwarding target: a user ("bob", "sip:bob@example.com") or an external number ("+4420…"). */
const target = z.string().min(1);

export const forwardingSettingsSchema = z
  .object({
    unconditional: target.optional(),
    /** after a busy answer (`busyStatuses`: 486 Busy Here, 600 Busy Everywhere) */
    busy: target.optional(),
    /** after ringing `noAnswerSeconds` without an answer */
    noAnswer: target.optional(),
    noAnswerSeconds: z.number().int().min(1).max(600).default(20),
    /** after 408/480/503, a timeout, or no registration */
    unreachable: target.optional(),
  })
  .strict();

export const forwardingSchema = z
  .object({
    /** RFC 7044 History-Info or RFC 5806 Diversion on the forwarded INVITE */
    header: z.enum(['history-info', 'diversion']).default('history-info'),
    /**
     * Answers that count as busy. 600 is forwarded after the proxy's 6xx handling
     * (RFC 3261 §16.7 item 5 forbids new branches after a 6xx; [486] keeps to it).
     */
    busyStatuses: z
      .array(z.union([z.literal(486), z.literal(600)]))
      .min(1)
      .default([486, 600]),
    /** forwarding hops per call (counted in the call's History-Info/Diversion) */
    maxHops: z.number().int().min(1).max(20).default(5),
    /** rate table for forwards to external numbers */
    lcrTable: z.string().default('default'),
    /** settings per user (AoR, e.g. sip:alice@example.com), loaded at start */
    users: z.record(forwardingSettingsSchema).default({}),
  })
  .default({});

export type ForwardingSettings = z.infer<typeof forwardingSettingsSchema>;
export type ForwardingConfig = z.infer<typeof forwardingSchema>;
