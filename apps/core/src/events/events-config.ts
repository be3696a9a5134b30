/** `events:` in the core config (issue #14): where call events go. Both sinks off by default. */
import { z } from 'zod';

const deliverySchema = {
  /** events waiting per sink; when full the oldest is dropped (and counted) */
  queueSize: z.number().int().min(1).default(10_000),
  batchSize: z.number().int().min(1).max(1000).default(50),
  /** deliveries of one batch before it is dropped (and counted) */
  maxAttempts: z.number().int().min(1).default(5),
  /** first retry delay; doubles per attempt up to maxBackoffMs */
  backoffMs: z.number().int().min(1).default(200),
  maxBackoffMs: z.number().int().min(1).default(10_000),
};

export const eventsConfigSchema = z
  .object({
    redisStream: z
      .object({
        enabled: z.boolean().default(false),
        /** stream key (the store's Redis; with the memory store, store.redis host/port) */
        stream: z.string().min(1).default('strata:events'),
        /** XADD MAXLEN ~ */
        maxLen: z.number().int().min(1).default(1_000_000),
        ...deliverySchema,
      })
      .default({}),
    webhook: z
      .object({
        /** http(s) URL; empty = off */
        url: z.string().default(''),
        token: z.string().optional(),
        timeoutMs: z.number().int().min(10).default(2000),
        ...deliverySchema,
      })
      .default({}),
  })
  .default({});

export type EventsConfig = z.infer<typeof eventsConfigSchema>;
