/** `features:` in the core config (issue #14): DTMF feature codes over SIP INFO. */
import { z } from 'zod';
import { featureCodeSchema } from './feature-codes.js';

export const featuresConfigSchema = z
  .object({
    /** digits of an unfinished code are discarded after this long without another digit */
    interDigitTimeoutMs: z.number().int().min(100).default(3000),
    /** empty = feature codes off (INFO is still relayed and reported as `dtmf` events) */
    codes: z.array(featureCodeSchema).default([]),
  })
  .default({});

export type FeaturesConfig = z.infer<typeof featuresConfigSchema>;
